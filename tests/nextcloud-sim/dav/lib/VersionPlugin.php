<?php
declare(strict_types=1);

namespace SimDav;

use OCA\DAV\Connector\Sabre\Exception\Forbidden;
use Sabre\DAV;

// Version properties (nc:version-label, nc:version-author, nc:has-preview) and restoring one with
// MOVE …/versions/{fileId}/{revision} → …/versions/{uid}/restore/target (201).
final class VersionPlugin extends DAV\ServerPlugin
{
    private DAV\Server $server;

    public function __construct(private FsContext $ctx)
    {
    }

    public function getPluginName()
    {
        return 'simversions';
    }

    public function initialize(DAV\Server $server)
    {
        $this->server = $server;
        $server->subscribeEvent('beforeMethod', [$this, 'beforeMethod'], 30);
        $server->subscribeEvent('beforeGetProperties', [$this, 'beforeGetProperties']);
    }

    public function beforeGetProperties($path, DAV\INode $node, &$requested, &$returned)
    {
        if (!$node instanceof VersionFile) return true;
        $nc = '{' . FilesPlugin::NS_NEXTCLOUD . '}';
        $values = [
            $nc . 'version-label' => fn () => $node->kept['label'] ?? '',
            $nc . 'version-author' => fn () => $node->author(),
            $nc . 'has-preview' => fn () => 'false',
        ];
        foreach ($requested as $i => $name) {
            if (isset($values[$name])) {
                $returned[200][$name] = $values[$name]();
                unset($requested[$i]);
            }
        }
        return true;
    }

    public function beforeMethod($method, $uri)
    {
        if ($method !== 'MOVE' || !str_starts_with($uri, 'versions/')) return true;
        $version = $this->server->tree->getNodeForPath($uri);
        if (!$version instanceof VersionFile) throw new Forbidden('Only a version can be restored');
        $destination = $this->server->calculateUri((string) $this->server->httpRequest->getHeader('Destination'));
        if ($destination !== 'versions/' . $this->ctx->viewer . '/restore/target') throw new Forbidden('A version can only be moved to restore/target');
        $file = $version->file;
        if (!($file->permissions() & FsNode::PERMISSION_UPDATE)) {
            throw new Forbidden('You cannot restore this version because you do not have update permissions on the source file.');
        }
        if ($version->kept !== null) {
            $content = file_get_contents($version->contentPath());
            $kept = VersionStore::keep($file, $this->ctx->viewer);
            VersionStore::remove($this->ctx, $file->owner, $file->fileId(), $version->revision);
            FsFile::writeStream($file->realPath(), $content);
            VersionStore::written($file->realPath(), $kept ?? $version->revision);
            $this->ctx->cache->changed($file->owner, $file->path, true);
        }
        $this->server->httpResponse->setHeader('Content-Length', '0');
        $this->server->httpResponse->sendStatus(201);
        return false;
    }
}
