<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

// Trash item properties (contract more-apps 6.2) and restoring with MOVE …/trash/{item} → …/restore/{item} (201).
final class TrashPlugin extends DAV\ServerPlugin
{
    private DAV\Server $server;

    public function __construct(private FsContext $ctx)
    {
    }

    public function getPluginName()
    {
        return 'simtrash';
    }

    public function initialize(DAV\Server $server)
    {
        $this->server = $server;
        $server->subscribeEvent('beforeMethod', [$this, 'beforeMethod'], 30);
        $server->subscribeEvent('beforeGetProperties', [$this, 'beforeGetProperties']);
    }

    public function beforeGetProperties($path, DAV\INode $node, &$requested, &$returned)
    {
        if (!$node instanceof TrashFile && !$node instanceof TrashFolder) return true;
        $meta = $node->meta;
        $nc = '{' . FilesPlugin::NS_NEXTCLOUD . '}';
        $oc = '{' . FilesPlugin::NS_OWNCLOUD . '}';
        $name = basename($meta['location']);
        $values = [
            $nc . 'trashbin-filename' => fn () => $name,
            $nc . 'trashbin-original-location' => fn () => $meta['location'],
            $nc . 'trashbin-deletion-time' => fn () => (string) $meta['deleted_at'],
            $nc . 'trashbin-title' => fn () => $name,
            $nc . 'trashbin-deleted-by-id' => fn () => $meta['deleted_by'],
            $nc . 'trashbin-deleted-by-display-name' => fn () => $meta['deleted_by'] === '' ? '' : Users::displayName($meta['deleted_by']),
            $nc . 'trashbin-backend' => fn () => 'OCA\\Files_Trashbin\\Trash\\LegacyTrashBackend',
            '{DAV:}displayname' => fn () => $name,
            $oc . 'size' => fn () => (string) ($node instanceof TrashFolder ? FsDirectory::treeSize($node->realPath()) : $node->getSize()),
            $oc . 'fileid' => fn () => (string) $meta['fileid'],
            $oc . 'id' => fn () => FsNode::formatOcId($meta['fileid']),
            $oc . 'permissions' => fn () => 'GD',
            '{DAV:}getetag' => fn () => '"' . $node->getLastModified() . '"',
        ];
        foreach ($requested as $i => $prop) {
            if (isset($values[$prop])) {
                $returned[200][$prop] = $values[$prop]();
                unset($requested[$i]);
            }
        }
        return true;
    }

    public function beforeMethod($method, $uri)
    {
        if ($method !== 'MOVE' || !str_starts_with($uri, 'trashbin/')) return true;
        $item = $this->server->tree->getNodeForPath($uri);
        if (!$item instanceof TrashFile && !$item instanceof TrashFolder) throw new Forbidden('Only a whole trash item can be restored');
        $name = $item->meta['item'];
        $destination = $this->server->calculateUri((string) $this->server->httpRequest->getHeader('Destination'));
        if ($destination !== 'trashbin/' . $this->ctx->viewer . '/restore/' . $name) throw new Forbidden('A trash item can only be moved to restore/' . $name);
        $path = TrashStore::restoreTarget($this->ctx, $item->meta['location']);
        if (!rename($item->realPath(), $this->ctx->filesDir($this->ctx->viewer) . '/' . $path)) {
            throw new DAV\Exception\ServiceUnavailable('Could not restore ' . $name);
        }
        $this->ctx->cache->forget($this->ctx->viewer, $path);
        if ($item->meta['fileid'] > 0) $this->ctx->cache->restoreId($this->ctx->viewer, $path, $item->meta['fileid']);
        $this->ctx->cache->changed($this->ctx->viewer, $path);
        TrashStore::forget($this->ctx, $name);
        $this->server->httpResponse->setHeader('Content-Length', '0');
        $this->server->httpResponse->sendStatus(201);
        return false;
    }
}
