<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;
use Sabre\HTTP;

// What Nextcloud's FilesPlugin/SharesPlugin/TagsPlugin add on top of plain sabre for files/: the oc:/nc:/ocs:
// properties, etags on folders, streaming GET with Range and Nextcloud's headers, OC-ETag/OC-FileId on
// writes, X-OC-MTime, favourites via PROPPATCH, and 409 for PUT into a missing folder.
final class FilesPlugin extends DAV\ServerPlugin
{
    public const NS_OWNCLOUD = 'http://owncloud.org/ns';
    public const NS_NEXTCLOUD = 'http://nextcloud.org/ns';
    public const NS_OCS = 'http://open-collaboration-services.org/ns';

    private DAV\Server $server;

    public function __construct(private FsContext $ctx)
    {
    }

    public function getPluginName()
    {
        return 'simfiles';
    }

    public function initialize(DAV\Server $server)
    {
        $this->server = $server;
        $server->xmlNamespaces[self::NS_OWNCLOUD] = 'oc';
        $server->xmlNamespaces[self::NS_NEXTCLOUD] = 'nc';
        $server->xmlNamespaces[self::NS_OCS] = 'ocs';
        $server->subscribeEvent('beforeMethod', [$this, 'beforeMethod'], 20);
        $server->subscribeEvent('beforeGetProperties', [$this, 'beforeGetProperties']);
        $server->subscribeEvent('beforeBind', [$this, 'beforeBind'], 10); // before the ACL plugin (20), which would answer 404
        $server->subscribeEvent('afterCreateFile', [$this, 'afterCreateFile']);
        $server->subscribeEvent('afterWriteContent', [$this, 'afterWriteContent']);
        $server->subscribeEvent('afterBind', [$this, 'afterBind']);
        $server->subscribeEvent('updateProperties', [$this, 'updateProperties']);
    }

    public function beforeMethod($method, $uri)
    {
        if (($method === 'GET' || $method === 'HEAD') && str_starts_with($uri, 'files/')) {
            $node = $this->server->tree->getNodeForPath($uri);
            if ($node instanceof FsFile) {
                $this->sendFile($node, $method === 'HEAD');
                return false;
            }
        }
        if (($method === 'MOVE' || $method === 'COPY') && str_starts_with($uri, 'files/')) {
            $this->checkMoveOrCopy($method, $uri);
        }
        return true;
    }

    /** Refuses a MOVE/COPY before sabre 1.8 replaces (trashes) an existing destination. */
    private function checkMoveOrCopy(string $method, string $uri): void
    {
        $info = $this->server->getCopyAndMoveInfo();
        [$parentPath, $name] = DAV\URLUtil::splitPath($info['destination']);
        $source = $this->server->tree->getNodeForPath($uri);
        $parent = $this->server->tree->getNodeForPath((string) $parentPath);
        if (!$source instanceof FsNode || !$parent instanceof FsDirectory) return;
        if ($method === 'MOVE') {
            $parent->checkMoveFrom($source, (string) $name);
            $this->keepOverwritten($source, $info);
        } else {
            $parent->checkCopyFrom($source, (string) $name);
        }
    }

    /** @var array{path:string, revision:int}|null the version a MOVE over an existing file kept */
    private ?array $movedOver = null;

    /**
     * A file MOVEd over another keeps the replaced content as a version of itself (it takes the other's place),
     * and the replaced file does not go to the trash as well.
     *
     * @param array<string, mixed> $info
     */
    private function keepOverwritten(FsNode $source, array $info): void
    {
        if (!$source instanceof FsFile || !$info['destinationExists']) return;
        $target = $this->server->tree->getNodeForPath($info['destination']);
        if (!$target instanceof FsFile || $target->realPath() === $source->realPath()) return;
        if (!($target->permissions() & FsNode::PERMISSION_DELETE)) return;
        FsNode::$overwritten = $target->realPath();
        $revision = VersionStore::keep($target, $this->ctx->viewer, $source->fileId());
        if ($revision !== null) $this->movedOver = ['path' => $info['destination'], 'revision' => $revision];
    }

    /** GET/HEAD of a file, streamed from disk in 64 KiB pieces (sabre 1.8 would copy ranges into php://temp). */
    private function sendFile(FsFile $node, bool $headOnly): void
    {
        if (!$this->server->checkPreconditions(true)) return;
        $size = $node->getSize();
        $etag = $node->getETag();
        $response = $this->server->httpResponse;
        $name = $node->getName();
        // Nextcloud's download headers (FilesPlugin::httpGet, CopyEtagHeaderPlugin): no OC-FileId, which only writes carry.
        $response->setHeaders([
            'Content-Type' => $node->getContentType(),
            'ETag' => $etag,
            'OC-ETag' => $etag,
            'Last-Modified' => HTTP\Util::toHTTPDate(new \DateTime('@' . $node->getLastModified())),
            'Accept-Ranges' => 'bytes',
            'Content-Disposition' => "attachment; filename*=UTF-8''" . rawurlencode($name) . '; filename="' . rawurlencode($name) . '"',
            'X-Accel-Buffering' => 'no',
        ]);
        $range = $this->server->getHTTPRange();
        $ifRange = $this->server->httpRequest->getHeader('If-Range');
        if ($range && $ifRange !== null && $ifRange !== $etag) {
            $ifRangeTime = strtotime($ifRange);
            if ($ifRangeTime === false || $node->getLastModified() > $ifRangeTime) $range = null;
        }
        $start = 0;
        $end = $size - 1;
        $status = 200;
        if ($range && $size > 0) {
            if ($range[0] !== null) {
                $start = (int) $range[0];
                $end = $range[1] !== null ? min((int) $range[1], $size - 1) : $size - 1;
                if ($start >= $size || $end < $start) {
                    $response->setHeader('Content-Range', 'bytes */' . $size);
                    throw new DAV\Exception\RequestedRangeNotSatisfiable('The start offset (' . $start . ') exceeded the size of the entity (' . $size . ')');
                }
            } else {
                $start = max(0, $size - (int) $range[1]);
            }
            $status = 206;
            $response->setHeader('Content-Range', 'bytes ' . $start . '-' . $end . '/' . $size);
        }
        $length = max(0, $end - $start + 1);
        $response->setHeader('Content-Length', (string) $length);
        $response->sendStatus($status);
        if ($headOnly || $length === 0) return;
        set_time_limit(0);
        $handle = $node->get();
        fseek($handle, $start);
        for ($left = $length; $left > 0 && !feof($handle);) {
            $chunk = fread($handle, min(65536, $left));
            if ($chunk === false || $chunk === '') break;
            echo $chunk;
            $left -= strlen($chunk);
        }
        fclose($handle);
    }

    public function beforeGetProperties($path, DAV\INode $node, &$requested, &$returned)
    {
        if (!$node instanceof FsNode) return true;
        $isDir = $node instanceof FsDirectory;
        $cached = null;
        $meta = function () use ($node, &$cached): array {
            return $cached ??= $node->meta();
        };
        $values = [
            '{DAV:}getetag' => fn () => '"' . $meta()['etag'] . '"',
            '{DAV:}displayname' => fn () => $node->getName(),
            '{DAV:}creationdate' => fn () => gmdate(DATE_ATOM, $meta()['creation_time']),
            '{' . self::NS_OWNCLOUD . '}fileid' => fn () => (string) $meta()['fileid'],
            '{' . self::NS_OWNCLOUD . '}id' => fn () => FsNode::formatOcId($meta()['fileid']),
            '{' . self::NS_OWNCLOUD . '}permissions' => fn () => $node->davPermissions(),
            '{' . self::NS_OWNCLOUD . '}size' => fn () => (string) $node->size(),
            '{' . self::NS_OWNCLOUD . '}favorite' => fn () => $this->ctx->cache->isFavorite($this->ctx->viewer, $meta()['fileid']) ? '1' : '0',
            '{' . self::NS_OWNCLOUD . '}owner-id' => fn () => $node->owner,
            '{' . self::NS_OWNCLOUD . '}owner-display-name' => fn () => Users::displayName($node->owner),
            '{' . self::NS_OWNCLOUD . '}share-types' => fn () => new ShareTypesProperty($this->shareTypes($node)),
            '{' . self::NS_OCS . '}share-permissions' => fn () => (string) $node->sharePermissions(),
            '{' . self::NS_NEXTCLOUD . '}share-attributes' => fn () => '[]',
            '{' . self::NS_NEXTCLOUD . '}mount-type' => fn () => $node->share !== null ? 'shared' : '',
            '{' . self::NS_NEXTCLOUD . '}is-mount-root' => fn () => $node->isMountRoot() ? 'true' : 'false',
            '{' . self::NS_NEXTCLOUD . '}has-preview' => fn () => 'false',
            '{' . self::NS_NEXTCLOUD . '}hidden' => fn () => 'false',
            '{' . self::NS_NEXTCLOUD . '}creation_time' => fn () => (string) $meta()['creation_time'],
            '{' . self::NS_NEXTCLOUD . '}upload_time' => fn () => (string) $meta()['upload_time'],
            '{' . self::NS_NEXTCLOUD . '}is-encrypted' => fn () => '0',
        ];
        if ($isDir) {
            $values['{' . self::NS_NEXTCLOUD . '}contained-folder-count'] = fn () => (string) count(array_filter($node->getChildren(), fn ($c) => $c instanceof FsDirectory));
            $values['{' . self::NS_NEXTCLOUD . '}contained-file-count'] = fn () => (string) count(array_filter($node->getChildren(), fn ($c) => $c instanceof FsFile));
        }
        foreach ($requested as $i => $name) {
            if (isset($values[$name])) {
                $returned[200][$name] = $values[$name]();
                unset($requested[$i]);
            }
        }
        return true;
    }

    /** @return list<int> */
    private function shareTypes(FsNode $node): array
    {
        // Shares the node's owner created on it, plus (like current SharesPlugin) the share the viewer received.
        $types = $this->ctx->shares->typesFor($node->owner, $node->path);
        if ($node->isMountRoot()) $types = [0];
        return $types;
    }

    public function beforeBind($uri)
    {
        // Nextcloud answers 409 for a PUT into a missing folder; sabre 1.8 would say 404.
        if (str_starts_with($uri, 'files/')) {
            [$parent] = DAV\URLUtil::splitPath($uri);
            try {
                $node = $this->server->tree->getNodeForPath((string) $parent);
            } catch (DAV\Exception\NotFound) {
                throw new DAV\Exception\Conflict('Parent node does not exist');
            }
            if (!$node instanceof DAV\ICollection) throw new DAV\Exception\Conflict('Parent node is not a collection');
        }
        return true;
    }

    public function afterCreateFile($uri, DAV\ICollection $parent)
    {
        $this->afterWrite($uri);
    }

    public function afterWriteContent($uri, DAV\INode $node)
    {
        $this->afterWrite($uri);
    }

    private function afterWrite(string $uri): void
    {
        $node = $this->server->tree->getNodeForPath($uri);
        if (!$node instanceof FsFile) return;
        $mtime = $this->server->httpRequest->getHeader('X-OC-MTime');
        if ($mtime !== null && ctype_digit($mtime)) {
            touch($node->realPath(), (int) $mtime);
            $this->server->httpResponse->setHeader('X-OC-MTime', 'accepted');
        }
        $this->server->httpResponse->setHeader('OC-ETag', $node->getETag());
        $this->server->httpResponse->setHeader('OC-FileId', $node->ocId());
    }

    public function afterBind($uri)
    {
        $method = $this->server->httpRequest->getMethod();
        if (($method === 'MOVE' || $method === 'COPY') && str_starts_with($uri, 'files/')) {
            $node = $this->server->tree->getNodeForPath($uri);
            if ($node instanceof FsFile && $this->movedOver !== null && $this->movedOver['path'] === $uri) {
                VersionStore::written($node->realPath(), $this->movedOver['revision']);
            }
            if ($node instanceof FsNode) {
                $this->server->httpResponse->setHeader('ETag', $node->getETag());
                $this->server->httpResponse->setHeader('OC-ETag', $node->getETag());
                $this->server->httpResponse->setHeader('OC-FileId', $node->ocId());
            }
        }
        return true;
    }

    public function updateProperties(&$mutations, &$result, DAV\INode $node)
    {
        if (!$node instanceof FsNode) return true;
        $favorite = '{' . self::NS_OWNCLOUD . '}favorite';
        $others = array_diff(array_keys($mutations), [$favorite]);
        if ($others) {
            // PROPPATCH is all-or-nothing (sabre 4 answers 424 for the rest); sabre 1.8 would apply the
            // favourite and still report it as 403 together with the refused properties.
            foreach ($others as $name) $result[403][$name] = null;
            if (array_key_exists($favorite, $mutations)) $result[424][$favorite] = null;
            $mutations = [];
            return false;
        }
        if (array_key_exists($favorite, $mutations)) {
            $value = $mutations[$favorite];
            $on = $value !== null && in_array(trim((string) $value), ['1', 'true', 'yes'], true);
            $this->ctx->cache->setFavorite($this->ctx->viewer, $node->fileId(), $on);
            $result[200][$favorite] = null;
            unset($mutations[$favorite]);
        }
        return true;
    }
}
