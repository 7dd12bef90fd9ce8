<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

// A file or folder in some user's storage, as seen by the requesting user (the "viewer"). Nodes reached
// through a received share keep the owner's storage path but carry the share's permissions.
abstract class FsNode implements DAV\INode
{
    public const PERMISSION_READ = 1;
    public const PERMISSION_UPDATE = 2;
    public const PERMISSION_CREATE = 4;
    public const PERMISSION_DELETE = 8;
    public const PERMISSION_SHARE = 16;
    public const PERMISSION_ALL = 31;

    /** The real path of a file a MOVE in this request replaces (FilesPlugin): not trashed, kept as a version. */
    public static ?string $overwritten = null;

    /**
     * @param string $owner  uid whose storage holds the node
     * @param string $path   path inside the owner's files/ ('' = their root), no leading slash
     * @param string $name   name the viewer sees (a mount point may be named differently)
     * @param array{permissions:int, mountRoot:bool, owner:string, id:int, target:string}|null $share  set when reached
     *        through a received share; target is the mount point in the viewer's storage
     */
    public function __construct(
        public readonly FsContext $ctx,
        public readonly string $owner,
        public readonly string $path,
        protected string $name,
        public readonly ?array $share = null,
    ) {
    }

    public function getName()
    {
        return $this->name;
    }

    public function realPath(): string
    {
        return $this->ctx->filesDir($this->owner) . ($this->path === '' ? '' : '/' . $this->path);
    }

    public function getLastModified()
    {
        clearstatcache(true, $this->realPath());
        return filemtime($this->realPath()) ?: null;
    }

    abstract public function isDirectory(): bool;

    public function isMountRoot(): bool
    {
        return $this->share !== null && $this->share['mountRoot'];
    }

    /** Nextcloud permission bitmask for what the viewer may do with the node's content. */
    public function permissions(): int
    {
        return $this->share === null ? self::PERMISSION_ALL : $this->share['permissions'];
    }

    /** Letters as computed by Nextcloud's DavUtil::getDavPermissions (contract 1.4). */
    public function davPermissions(): string
    {
        $p = $this->permissions();
        $letters = $this->share !== null ? 'S' : '';
        if ($p & self::PERMISSION_SHARE) $letters .= 'R';
        if ($p & self::PERMISSION_READ) $letters .= 'G';
        // A share's mount point can always be deleted (= unshared) and renamed, whatever the share allows.
        if (($p & self::PERMISSION_DELETE) || $this->isMountRoot()) $letters .= 'D';
        if (($p & self::PERMISSION_UPDATE) || $this->isMountRoot()) $letters .= 'NV';
        if (!$this->isDirectory() && ($p & self::PERMISSION_UPDATE)) $letters .= 'W';
        if ($this->isDirectory() && ($p & self::PERMISSION_CREATE)) $letters .= 'CK';
        return $letters;
    }

    /** ocs:share-permissions: files can never carry create/delete in a share. */
    public function sharePermissions(): int
    {
        $p = $this->permissions();
        return $this->isDirectory() ? $p : $p & ~(self::PERMISSION_CREATE | self::PERMISSION_DELETE);
    }

    /** @return array{fileid:int, etag:string, creation_time:int, upload_time:int} */
    public function meta(): array
    {
        return $this->ctx->cache->get($this->owner, $this->path);
    }

    public function fileId(): int
    {
        return $this->meta()['fileid'];
    }

    public function getETag()
    {
        return '"' . $this->meta()['etag'] . '"';
    }

    public function ocId(): string
    {
        return self::formatOcId($this->fileId());
    }

    public static function formatOcId(int $fileId): string
    {
        return str_pad((string) $fileId, 8, '0', STR_PAD_LEFT) . 'ocsim0000000';
    }

    public function size(): int
    {
        return (int) filesize($this->realPath());
    }

    public function setName($name)
    {
        // Renames go through the tree's move (FilesTree), which handles files and folders alike.
        throw new DAV\Exception\NotImplemented('Rename through MOVE');
    }

    public function delete()
    {
        if ($this->isMountRoot()) {
            // DELETE on a received share's mount point unshares it for this user only, as in Nextcloud: the
            // owner's files stay, nothing goes to anybody's trash.
            $this->ctx->shares->unmount($this->share['id']);
            $this->ctx->cache->changed($this->ctx->viewer, FileCache::parent($this->share['target']));
            return;
        }
        if (!($this->permissions() & self::PERMISSION_DELETE)) {
            throw new Forbidden('No delete permission');
        }
        if (self::$overwritten !== null && self::$overwritten === $this->realPath()) {
            // Replaced by a MOVE: its content is already kept as a version of the file that takes its place.
            unlink($this->realPath());
            $this->ctx->cache->forget($this->owner, $this->path);
            return;
        }
        $fileId = $this->fileId();
        // files_trashbin: the node is moved to the owner's trash, named {name}.d{deletionTime}.
        $trash = $this->ctx->trashDir($this->owner);
        if (!is_dir($trash)) mkdir($trash, 0777, true);
        $target = $trash . '/' . basename($this->realPath()) . '.d' . time();
        for ($i = 1; file_exists($target); $i++) {
            $target = $trash . '/' . basename($this->realPath()) . '.d' . time() . '-' . $i;
        }
        if (!rename($this->realPath(), $target)) {
            throw new DAV\Exception\ServiceUnavailable('Could not move the node to the trash');
        }
        TrashStore::record($this->ctx, $this->owner, basename($target), $this->path, $fileId);
        $this->ctx->cache->forget($this->owner, $this->path);
        $this->ctx->shares->removed($this->owner, $this->path);
        $this->ctx->cache->changed($this->owner, FileCache::parent($this->path));
    }

    /** A child of a folder inherits the share (minus the mount-root flag). */
    protected function childShare(): ?array
    {
        if ($this->share === null) return null;
        return ['mountRoot' => false] + $this->share;
    }

    public static function validateName(string $name): void
    {
        if ($name === '' || $name === '.' || $name === '..' || strpbrk($name, "/\\\0") !== false) {
            throw new DAV\Exception\BadRequest('Invalid path: ' . $name);
        }
    }
}
