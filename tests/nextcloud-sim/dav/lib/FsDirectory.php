<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

final class FsDirectory extends FsNode implements DAV\ICollection, DAV\IQuota
{
    public function isDirectory(): bool
    {
        return true;
    }

    public function getChildren()
    {
        $children = [];
        $entries = scandir($this->realPath()) ?: [];
        sort($entries, SORT_STRING);
        foreach ($entries as $entry) {
            if ($entry === '.' || $entry === '..') continue;
            $children[] = $this->childNode($entry);
        }
        foreach ($this->mounts() as $mount) {
            $children[] = $this->mountNode($mount);
        }
        return $children;
    }

    public function getChild($name)
    {
        $name = (string) $name;
        // '.', '..', empty and slash-containing names never resolve: no path can climb out of a home.
        if ($name === '' || $name === '.' || $name === '..' || strpbrk($name, "/\\\0") !== false) {
            throw new DAV\Exception\NotFound('File with name ' . $name . ' could not be located');
        }
        foreach ($this->mounts() as $mount) {
            if (basename($mount['target']) === $name) return $this->mountNode($mount);
        }
        $real = $this->realPath() . '/' . $name;
        if (!file_exists($real)) {
            throw new DAV\Exception\NotFound('File with name ' . $this->childPath($name) . ' could not be located');
        }
        return $this->childNode($name);
    }

    public function childExists($name)
    {
        try {
            $this->getChild($name);
            return true;
        } catch (DAV\Exception\NotFound) {
            return false;
        }
    }

    public function createFile($name, $data = null)
    {
        $this->requireCreate();
        self::validateName((string) $name);
        $path = $this->childPath($name);
        FsFile::writeStream($this->realPath() . '/' . $name, $data);
        $this->ctx->cache->forget($this->owner, $path);
        $this->ctx->cache->changed($this->owner, $path, true);
        return $this->childNode($name)->getETag();
    }

    public function createDirectory($name)
    {
        $this->requireCreate();
        self::validateName((string) $name);
        if (!mkdir($this->realPath() . '/' . $name)) {
            throw new DAV\Exception\MethodNotAllowed('The resource you tried to create already exists');
        }
        $this->ctx->cache->forget($this->owner, $this->childPath($name));
        $this->ctx->cache->changed($this->owner, $this->childPath($name));
    }

    /** MOVE target side (FilesTree::move): a real rename, so the file id survives. */
    public function moveInto(string $name, FsNode $source): void
    {
        $this->checkMoveFrom($source, $name);
        if ($source->isMountRoot()) {
            // Moving a received share moves the recipient's mount point; the owner's files do not move.
            $this->ctx->shares->retarget($source->share['id'], $this->childPath($name));
            $this->ctx->cache->changed($this->ctx->viewer, FileCache::parent($source->share['target']));
            $this->ctx->cache->changed($this->ctx->viewer, $this->path);
            return;
        }
        if (!rename($source->realPath(), $this->realPath() . '/' . $name)) throw new DAV\Exception\ServiceUnavailable('Move failed');
        $newPath = $this->childPath($name);
        $this->ctx->cache->move($this->owner, $source->path, $newPath);
        $this->ctx->shares->moved($this->owner, $source->path, $newPath);
        $this->ctx->cache->changed($source->owner, FileCache::parent($source->path));
        $this->ctx->cache->changed($this->owner, $newPath);
    }

    /**
     * Nextcloud's FilesPlugin::checkMove. FilesPlugin also calls it before sabre starts a MOVE, because sabre
     * 1.8 deletes an existing destination first: a refused move must not have trashed the target already.
     */
    public function checkMoveFrom(FsNode $source, string $name): void
    {
        self::validateName($name);
        if ($source->isMountRoot()) {
            // A mount point can be renamed and moved (NV), but only within the recipient's own storage.
            if ($this->share !== null || $this->owner !== $this->ctx->viewer) {
                throw new Forbidden('A received share can only be moved within your own files');
            }
            return;
        }
        $sameParent = $source->owner === $this->owner && FileCache::parent($source->path) === $this->path;
        $allowed = $sameParent ? ($source->permissions() & self::PERMISSION_UPDATE) : ($source->permissions() & self::PERMISSION_DELETE);
        if (!$allowed) throw new Forbidden('No permission to move ' . $source->getName());
        if (!$sameParent) $this->requireCreate();
        if ($source->owner !== $this->owner) {
            // Only possible with writable shares, which the seed does not create.
            throw new Forbidden('Moving between different storages is not supported by the simulator');
        }
        $this->refuseIntoItself($source, $name);
    }

    /** COPY target side: recursive file-system copy; the copy gets new file ids. */
    public function copyInto(string $name, FsNode $source): void
    {
        $this->checkCopyFrom($source, $name);
        self::copyRecursive($source->realPath(), $this->realPath() . '/' . $name);
        $this->ctx->cache->forget($this->owner, $this->childPath($name));
        $this->ctx->cache->changed($this->owner, $this->childPath($name), true);
    }

    public function checkCopyFrom(FsNode $source, string $name): void
    {
        self::validateName($name);
        $this->requireCreate();
        $this->refuseIntoItself($source, $name);
    }

    private function refuseIntoItself(FsNode $source, string $name): void
    {
        if (str_starts_with($this->realPath() . '/' . $name . '/', $source->realPath() . '/')) {
            throw new Forbidden('Cannot move or copy a folder into itself');
        }
    }

    public function getQuotaInfo()
    {
        // Nextcloud reports -3 (unlimited) as available space for users without a quota, and the folder's own
        // size as used space (so a share root does not reveal how much its owner stores elsewhere).
        return [$this->size(), -3];
    }

    public function size(): int
    {
        return self::treeSize($this->realPath());
    }

    public static function treeSize(string $dir): int
    {
        $total = 0;
        $iterator = new \RecursiveIteratorIterator(new \RecursiveDirectoryIterator($dir, \FilesystemIterator::SKIP_DOTS));
        foreach ($iterator as $file) {
            if ($file->isFile()) $total += $file->getSize();
        }
        return $total;
    }

    private static function copyRecursive(string $from, string $to): void
    {
        if (is_dir($from)) {
            mkdir($to);
            foreach (scandir($from) ?: [] as $entry) {
                if ($entry !== '.' && $entry !== '..') self::copyRecursive($from . '/' . $entry, $to . '/' . $entry);
            }
        } elseif (!copy($from, $to)) {
            throw new DAV\Exception\ServiceUnavailable('Copy failed');
        }
    }

    private function requireCreate(): void
    {
        if (!($this->permissions() & self::PERMISSION_CREATE)) {
            throw new Forbidden('No permission to create files or folders here');
        }
    }

    private function childPath(string $name): string
    {
        return $this->path === '' ? $name : $this->path . '/' . $name;
    }

    private function childNode(string $name): FsNode
    {
        $path = $this->childPath($name);
        $class = is_dir($this->realPath() . '/' . $name) ? FsDirectory::class : FsFile::class;
        return new $class($this->ctx, $this->owner, $path, $name, $this->childShare());
    }

    /** Received shares mounted in this folder; only in the viewer's own storage. @return list<array<string, mixed>> */
    private function mounts(): array
    {
        if ($this->share !== null || $this->owner !== $this->ctx->viewer) return [];
        return $this->ctx->shares->mountsIn($this->ctx->viewer, $this->path);
    }

    /** @param array<string, mixed> $mount */
    private function mountNode(array $mount): FsNode
    {
        $owner = (string) $mount['owner'];
        $path = (string) $mount['path'];
        $class = is_dir($this->ctx->filesDir($owner) . '/' . $path) ? FsDirectory::class : FsFile::class;
        $share = ['permissions' => (int) $mount['permissions'], 'mountRoot' => true, 'owner' => $owner, 'id' => (int) $mount['id'], 'target' => (string) $mount['target']];
        return new $class($this->ctx, $owner, $path, basename((string) $mount['target']), $share);
    }
}
