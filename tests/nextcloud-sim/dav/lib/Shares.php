<?php
declare(strict_types=1);

namespace SimDav;

// User shares (Nextcloud's oc_share, type 0): a node of the owner mounted at `target` in the recipient's tree.
// permissions is Nextcloud's bitmask: 1 read, 2 update, 4 create, 8 delete, 16 share.
final class Shares
{
    public function __construct(private \PDO $pdo)
    {
    }

    /** Mounts shown inside the recipient's folder $parentPath. @return list<array<string, mixed>> */
    public function mountsIn(string $recipient, string $parentPath): array
    {
        $rows = [];
        foreach ($this->receivedBy($recipient) as $row) {
            if (FileCache::parent($row['target']) === $parentPath) $rows[] = $row;
        }
        return $rows;
    }

    /** @return list<array<string, mixed>> */
    public function receivedBy(string $recipient): array
    {
        $select = $this->pdo->prepare('SELECT * FROM shares WHERE recipient = ? ORDER BY id');
        $select->execute([$recipient]);
        return $select->fetchAll(\PDO::FETCH_ASSOC);
    }

    /** Share types (all 0 here) on the owner's node at $path. @return list<int> */
    public function typesFor(string $owner, string $path): array
    {
        $select = $this->pdo->prepare('SELECT DISTINCT 0 FROM shares WHERE owner = ? AND path = ?');
        $select->execute([$owner, $path]);
        return $select->fetchAll(\PDO::FETCH_COLUMN) ? [0] : [];
    }

    public function unmount(int $shareId): void
    {
        $this->pdo->prepare('DELETE FROM shares WHERE id = ?')->execute([$shareId]);
    }

    public function retarget(int $shareId, string $target): void
    {
        $this->pdo->prepare('UPDATE shares SET target = ? WHERE id = ?')->execute([$target, $shareId]);
    }

    /**
     * A node moved in $uid's storage: shares of it (as owner) follow the node like Nextcloud's file-id based
     * shares do, and mount points inside the moved folder (as recipient) move along.
     */
    public function moved(string $uid, string $from, string $to): void
    {
        foreach (['owner' => 'path', 'recipient' => 'target'] as $who => $column) {
            $this->pdo->prepare("UPDATE shares SET $column = ? || substr($column, ?) WHERE $who = ? AND " . self::under($column))
                ->execute([$to, FileCache::chars($from) + 1, $uid, ...self::underParams($from)]);
        }
    }

    /** A node of $uid went to the trash: its shares end, and so do mounts $uid had inside it (= unshare). */
    public function removed(string $uid, string $path): void
    {
        foreach (['owner' => 'path', 'recipient' => 'target'] as $who => $column) {
            $this->pdo->prepare("DELETE FROM shares WHERE $who = ? AND " . self::under($column))->execute([$uid, ...self::underParams($path)]);
        }
    }

    /** SQL for "column is the path or lies below it"; parameters from underParams(). */
    private static function under(string $column): string
    {
        return "($column = ? OR substr($column, 1, ?) = ?)";
    }

    /** @return list<string|int> */
    private static function underParams(string $path): array
    {
        return [$path, FileCache::chars($path) + 1, $path . '/'];
    }
}
