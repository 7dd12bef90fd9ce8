<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

// What FileExtras adds to the DAV tree: systemtags/, systemtags-relations/files/, versions/{uid}/ and
// trashbin/{uid}/, with the plugins that give them their properties and their MOVE-to-restore.
final class FileExtras
{
    /** @return list<DAV\INode> */
    public static function collections(mixed ...$context): array
    {
        [$ctx] = $context;
        $store = new TagStore($ctx->cache->pdo(), $ctx->viewer);
        $ownOnly = function (string $uid) use ($ctx): void {
            // Another user's versions or trash: 403, as Nextcloud's RootCollection answers.
            if ($uid !== $ctx->viewer) throw new Forbidden('Access to this resource is not allowed');
        };
        return [
            new TagCollection('systemtags', $store),
            new DAV\SimpleCollection('systemtags-relations', [new TagRelations($ctx, $store)]),
            new FileExtrasCollection('versions', fn () => [], function (string $uid) use ($ctx, $ownOnly) {
                $ownOnly($uid);
                return new DAV\SimpleCollection($uid, [new VersionHome($ctx), new DAV\SimpleCollection('restore')]);
            }),
            new FileExtrasCollection('trashbin', fn () => [], function (string $uid) use ($ctx, $ownOnly) {
                $ownOnly($uid);
                return new DAV\SimpleCollection($uid, [
                    new FileExtrasCollection('trash', fn () => TrashStore::items($ctx), fn (string $name) => TrashStore::item($ctx, $name)),
                    new DAV\SimpleCollection('restore'),
                ]);
            }),
        ];
    }

    /** @return list<DAV\ServerPlugin> */
    public static function plugins(mixed ...$context): array
    {
        [$ctx] = $context;
        return [new TagPlugin(new TagStore($ctx->cache->pdo(), $ctx->viewer)), new VersionPlugin($ctx), new TrashPlugin($ctx)];
    }

    /**
     * The node with this file id as the viewer reaches it (own storage, or through a received share, with the
     * share's permissions) and its path in the viewer's files; null when the viewer cannot reach it.
     *
     * @return array{node:FsNode, path:string}|null
     */
    public static function nodeForFileId(FsContext $ctx, int $fileId): ?array
    {
        $row = $ctx->cache->byId($fileId);
        if ($row === null) return null;
        $viewerPath = null;
        if ($row['owner'] === $ctx->viewer) {
            $viewerPath = $row['path'];
        } else {
            foreach ($ctx->shares->receivedBy($ctx->viewer) as $share) {
                $root = (string) $share['path'];
                if ($share['owner'] === $row['owner'] && ($row['path'] === $root || str_starts_with($row['path'], $root . '/'))) {
                    $viewerPath = $share['target'] . substr($row['path'], strlen($root));
                    break;
                }
            }
        }
        if ($viewerPath === null) return null;
        $node = new FsDirectory($ctx, $ctx->viewer, '', $ctx->viewer);
        try {
            foreach ($viewerPath === '' ? [] : explode('/', $viewerPath) as $segment) {
                if (!$node instanceof FsDirectory) return null;
                $node = $node->getChild($segment);
            }
        } catch (DAV\Exception\NotFound) {
            return null;
        }
        return ['node' => $node, 'path' => $viewerPath];
    }
}

// A collection whose children are computed when asked for (by uid, by file id, by trash item).
final class FileExtrasCollection extends DAV\Collection
{
    /** @param \Closure(): list<DAV\INode> $children @param \Closure(string): DAV\INode $child */
    public function __construct(private string $name, private \Closure $children, private \Closure $child)
    {
    }

    public function getName()
    {
        return $this->name;
    }

    public function getChildren()
    {
        return ($this->children)();
    }

    public function getChild($name)
    {
        return ($this->child)((string) $name);
    }
}
