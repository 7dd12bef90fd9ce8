<?php
declare(strict_types=1);

namespace SimDav;

// Nextcloud keeps file ids and etags in oc_filecache; this table plays that role. Ids are stable across
// MOVE (the row's path is rewritten), etags change on every write and propagate to all parent folders.
final class FileCache
{
    public function __construct(private \PDO $pdo)
    {
    }

    /** @return array{fileid:int, etag:string, creation_time:int, upload_time:int} */
    public function get(string $owner, string $path): array
    {
        $select = $this->pdo->prepare('SELECT fileid, etag, creation_time, upload_time FROM filecache WHERE owner = ? AND path = ?');
        $select->execute([$owner, $path]);
        $row = $select->fetch(\PDO::FETCH_ASSOC);
        if ($row === false) {
            // INSERT OR IGNORE: another worker may have created the row meanwhile.
            $now = time();
            $this->pdo->prepare('INSERT OR IGNORE INTO filecache (owner, path, etag, creation_time, upload_time) VALUES (?, ?, ?, ?, ?)')
                ->execute([$owner, $path, self::newEtag(), $now, $now]);
            $select->execute([$owner, $path]);
            $row = $select->fetch(\PDO::FETCH_ASSOC);
        }
        return ['fileid' => (int) $row['fileid'], 'etag' => (string) $row['etag'], 'creation_time' => (int) $row['creation_time'], 'upload_time' => (int) $row['upload_time']];
    }

    /** @return array{owner:string, path:string}|null */
    public function byId(int $fileId): ?array
    {
        $select = $this->pdo->prepare('SELECT owner, path FROM filecache WHERE fileid = ?');
        $select->execute([$fileId]);
        $row = $select->fetch(\PDO::FETCH_ASSOC);
        return $row === false ? null : ['owner' => $row['owner'], 'path' => $row['path']];
    }

    /** New etag for the node and every ancestor up to the user's root (Nextcloud's etag propagation). */
    public function changed(string $owner, string $path, bool $uploaded = false): void
    {
        $this->get($owner, $path);
        if ($uploaded) {
            $this->pdo->prepare('UPDATE filecache SET upload_time = ? WHERE owner = ? AND path = ?')->execute([time(), $owner, $path]);
        }
        $update = $this->pdo->prepare('UPDATE filecache SET etag = ? WHERE owner = ? AND path = ?');
        for ($p = $path; ; $p = self::parent($p)) {
            $this->get($owner, $p);
            $update->execute([self::newEtag(), $owner, $p]);
            if ($p === '') break;
        }
        // Recipients see the change too: the folders above their mount point get new etags, so a client
        // that compares the root etag notices changes inside received shares.
        $shares = $this->pdo->prepare('SELECT recipient, target FROM shares WHERE owner = ? AND (path = ? OR substr(?, 1, length(path) + 1) = path || \'/\')');
        $shares->execute([$owner, $path, $path]);
        foreach ($shares->fetchAll(\PDO::FETCH_ASSOC) as $share) {
            $this->changed((string) $share['recipient'], self::parent((string) $share['target']));
        }
    }

    public function move(string $owner, string $from, string $to): void
    {
        // Drop stale rows at the target first (an overwritten node already went to the trash).
        $this->forget($owner, $to);
        $this->pdo->prepare('UPDATE filecache SET path = ? || substr(path, ?) WHERE owner = ? AND (path = ? OR substr(path, 1, ?) = ?)')
            ->execute([$to, self::chars($from) + 1, $owner, $from, self::chars($from) + 1, $from . '/']);
    }

    public function forget(string $owner, string $path): void
    {
        $this->pdo->prepare('DELETE FROM filecache WHERE owner = ? AND (path = ? OR substr(path, 1, ?) = ?)')
            ->execute([$owner, $path, self::chars($path) + 1, $path . '/']);
    }

    /** The table connection, for the tags, versions and trash tables that live next to the file cache. */
    public function pdo(): \PDO
    {
        return $this->pdo;
    }

    /** A node back from the trash gets its old file id again (tags and versions are keyed by it). */
    public function restoreId(string $owner, string $path, int $fileId): void
    {
        $taken = $this->pdo->prepare('SELECT 1 FROM filecache WHERE fileid = ?');
        $taken->execute([$fileId]);
        if ($taken->fetchColumn() !== false) return;
        $now = time();
        $this->pdo->prepare('INSERT OR IGNORE INTO filecache (fileid, owner, path, etag, creation_time, upload_time) VALUES (?, ?, ?, ?, ?, ?)')
            ->execute([$fileId, $owner, $path, self::newEtag(), $now, $now]);
    }

    public function isFavorite(string $uid, int $fileId): bool
    {
        $select = $this->pdo->prepare('SELECT 1 FROM favorites WHERE uid = ? AND fileid = ?');
        $select->execute([$uid, $fileId]);
        return $select->fetchColumn() !== false;
    }

    public function setFavorite(string $uid, int $fileId, bool $favorite): void
    {
        $sql = $favorite ? 'INSERT OR IGNORE INTO favorites (uid, fileid) VALUES (?, ?)' : 'DELETE FROM favorites WHERE uid = ? AND fileid = ?';
        $this->pdo->prepare($sql)->execute([$uid, $fileId]);
    }

    /** SQLite's substr() and length() count characters, not bytes (paths may be non-ASCII). */
    public static function chars(string $path): int
    {
        return mb_strlen($path, 'UTF-8');
    }

    public static function parent(string $path): string
    {
        $pos = strrpos($path, '/');
        return $pos === false ? '' : substr($path, 0, $pos);
    }

    private static function newEtag(): string
    {
        return bin2hex(random_bytes(7));
    }
}
