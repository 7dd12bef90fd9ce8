<?php
declare(strict_types=1);

namespace SimDav;

// files_versions: the previous content of a file is kept whenever it is overwritten (never for an empty file).
// Revisions are Unix times; each is unique per file and older than the current content, so the current version
// (listed too, named by its mtime) never collides with a kept one.
final class VersionStore
{
    public static function dir(FsContext $ctx, string $owner, int $fileId): string
    {
        return $ctx->dataDir . '/' . $owner . '/versions/' . $fileId;
    }

    /** @return list<array{revision:int, size:int, author:string, label:string}> newest first */
    public static function kept(FsContext $ctx, int $fileId): array
    {
        $select = $ctx->cache->pdo()->prepare('SELECT revision, size, author, label FROM versions WHERE fileid = ? ORDER BY revision DESC');
        $select->execute([$fileId]);
        return array_map(fn ($r) => ['revision' => (int) $r['revision'], 'size' => (int) $r['size'], 'author' => (string) $r['author'], 'label' => (string) $r['label']], $select->fetchAll(\PDO::FETCH_ASSOC));
    }

    /** The revision the current content is listed under. */
    public static function currentRevision(FsContext $ctx, FsFile $file, ?int $fileId = null): int
    {
        $kept = self::kept($ctx, $fileId ?? $file->fileId());
        return max((int) $file->getLastModified(), ($kept[0]['revision'] ?? 0) + 1);
    }

    /** Keeps the file's current content as a version; returns its revision, or null for an empty file. */
    public static function keep(FsFile $file, string $author, ?int $fileId = null): ?int
    {
        $ctx = $file->ctx;
        clearstatcache(true, $file->realPath());
        if (!is_file($file->realPath()) || filesize($file->realPath()) === 0) return null;
        $fileId ??= $file->fileId();
        $revision = self::currentRevision($ctx, $file, $fileId);
        $dir = self::dir($ctx, $file->owner, $fileId);
        if (!is_dir($dir)) mkdir($dir, 0777, true);
        copy($file->realPath(), $dir . '/' . $revision);
        $ctx->cache->pdo()->prepare('INSERT OR REPLACE INTO versions (fileid, revision, owner, size, author, label) VALUES (?, ?, ?, ?, ?, \'\')')
            ->execute([$fileId, $revision, $file->owner, filesize($file->realPath()), $author]);
        return $revision;
    }

    /** After the new content is written: its mtime must lie after the version just kept. */
    public static function written(string $realPath, ?int $revision): void
    {
        if ($revision === null) return;
        clearstatcache(true, $realPath);
        if ((int) filemtime($realPath) <= $revision) touch($realPath, $revision + 1);
    }

    public static function remove(FsContext $ctx, string $owner, int $fileId, int $revision): void
    {
        @unlink(self::dir($ctx, $owner, $fileId) . '/' . $revision);
        $ctx->cache->pdo()->prepare('DELETE FROM versions WHERE fileid = ? AND revision = ?')->execute([$fileId, $revision]);
    }

    /** Seeding: an earlier content of a file, kept at a given time. */
    public static function seed(FsContext $ctx, string $owner, int $fileId, int $revision, string $content, string $author): void
    {
        $dir = self::dir($ctx, $owner, $fileId);
        if (!is_dir($dir)) mkdir($dir, 0777, true);
        file_put_contents($dir . '/' . $revision, $content);
        $ctx->cache->pdo()->prepare('INSERT INTO versions (fileid, revision, owner, size, author, label) VALUES (?, ?, ?, ?, ?, \'\')')
            ->execute([$fileId, $revision, $owner, strlen($content), $author]);
    }
}
