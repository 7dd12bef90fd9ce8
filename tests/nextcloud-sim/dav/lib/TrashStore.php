<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// files_trashbin's record of each deleted node: the item's name in <dataDir>/<owner>/trash ({name}.d{time}), where
// it was (owner-relative path with its name), when, by whom, and its file id (given back on restore).
final class TrashStore
{
    public static function record(FsContext $ctx, string $owner, string $item, string $location, int $fileId): void
    {
        $ctx->cache->pdo()->prepare('INSERT OR REPLACE INTO trash (owner, item, location, deleted_at, fileid, deleted_by) VALUES (?, ?, ?, ?, ?, ?)')
            ->execute([$owner, $item, $location, time(), $fileId, $ctx->viewer]);
    }

    /** @return array{item:string, location:string, deleted_at:int, fileid:int, deleted_by:string} */
    public static function meta(FsContext $ctx, string $item): array
    {
        $select = $ctx->cache->pdo()->prepare('SELECT * FROM trash WHERE owner = ? AND item = ?');
        $select->execute([$ctx->viewer, $item]);
        $row = $select->fetch(\PDO::FETCH_ASSOC);
        if ($row !== false) {
            return ['item' => $item, 'location' => (string) $row['location'], 'deleted_at' => (int) $row['deleted_at'], 'fileid' => (int) $row['fileid'], 'deleted_by' => (string) $row['deleted_by']];
        }
        // A node put into the trash directory without a record: its name is all there is to go by.
        $name = preg_replace('/\.d\d+(-\d+)?$/', '', $item);
        $time = preg_match('/\.d(\d+)(-\d+)?$/', $item, $m) ? (int) $m[1] : 0;
        return ['item' => $item, 'location' => (string) $name, 'deleted_at' => $time, 'fileid' => 0, 'deleted_by' => ''];
    }

    /** @return list<DAV\INode> */
    public static function items(FsContext $ctx): array
    {
        $dir = $ctx->trashDir($ctx->viewer);
        $entries = is_dir($dir) ? (scandir($dir) ?: []) : [];
        $items = [];
        foreach ($entries as $entry) {
            if ($entry !== '.' && $entry !== '..') $items[] = self::item($ctx, $entry);
        }
        return $items;
    }

    public static function item(FsContext $ctx, string $name): DAV\INode
    {
        $real = $ctx->trashDir($ctx->viewer) . '/' . $name;
        if ($name === '' || $name === '.' || $name === '..' || str_contains($name, '/') || !file_exists($real)) {
            throw new DAV\Exception\NotFound('Trash item ' . $name . ' not found');
        }
        $meta = self::meta($ctx, $name);
        return is_dir($real) ? new TrashFolder($real, $meta) : new TrashFile($real, $meta);
    }

    public static function forget(FsContext $ctx, string $item): void
    {
        $ctx->cache->pdo()->prepare('DELETE FROM trash WHERE owner = ? AND item = ?')->execute([$ctx->viewer, $item]);
    }

    /** Where a restored node goes: its old folder if it still exists (else the root), under a name that is free. */
    public static function restoreTarget(FsContext $ctx, string $location): string
    {
        $folder = FileCache::parent($location);
        if ($folder !== '' && !is_dir($ctx->filesDir($ctx->viewer) . '/' . $folder)) $folder = '';
        $name = basename($location);
        $dot = strrpos($name, '.');
        [$stem, $ext] = $dot === false || $dot === 0 ? [$name, ''] : [substr($name, 0, $dot), substr($name, $dot)];
        for ($i = 1; ; $i++) {
            $candidate = $i === 1 ? $name : $stem . ($i === 2 ? ' (restored)' : ' (restored ' . ($i - 1) . ')') . $ext;
            $path = $folder === '' ? $candidate : $folder . '/' . $candidate;
            if (!file_exists($ctx->filesDir($ctx->viewer) . '/' . $path)) return $path;
        }
    }
}
