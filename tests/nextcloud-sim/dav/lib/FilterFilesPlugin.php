<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// Nextcloud's oc:filter-files REPORT (contract 1.9, more-apps 5.4): favourites below the requested folder,
// recursively, and files carrying every oc:systemtag given (AND) among all the viewer can reach, shared ones at
// the viewer's paths. A tag the viewer cannot see, or that does not exist, is 412.
final class FilterFilesPlugin extends DAV\ServerPlugin
{
    private const REPORT = '{' . FilesPlugin::NS_OWNCLOUD . '}filter-files';

    private DAV\Server $server;

    public function __construct(private FsContext $ctx)
    {
    }

    public function getPluginName()
    {
        return 'simfilterfiles';
    }

    public function getSupportedReportSet($uri)
    {
        return str_starts_with($uri, 'files/') ? [self::REPORT] : [];
    }

    public function initialize(DAV\Server $server)
    {
        $this->server = $server;
        $server->subscribeEvent('report', [$this, 'report']);
    }

    public function report($reportName, \DOMDocument $dom, $uri)
    {
        if ($reportName !== self::REPORT) return true;
        $folder = $this->server->tree->getNodeForPath($uri);
        if (!$folder instanceof FsDirectory) throw new DAV\Exception\BadRequest('filter-files needs a folder');

        $properties = [];
        $favorite = null;
        $systemTags = false;
        $tagIds = [];
        foreach ($dom->documentElement->childNodes as $child) {
            if (!$child instanceof \DOMElement) continue;
            $name = DAV\XMLUtil::toClarkNotation($child);
            if ($name === '{DAV:}prop') $properties = array_keys(DAV\XMLUtil::parseProperties($dom->documentElement));
            if ($name !== '{' . FilesPlugin::NS_OWNCLOUD . '}filter-rules') continue;
            foreach ($child->childNodes as $rule) {
                if (!$rule instanceof \DOMElement) continue;
                $ruleName = DAV\XMLUtil::toClarkNotation($rule);
                if ($ruleName === '{' . FilesPlugin::NS_OWNCLOUD . '}favorite') $favorite = trim($rule->textContent) === '1';
                if ($ruleName === '{' . FilesPlugin::NS_OWNCLOUD . '}systemtag') {
                    $systemTags = true;
                    $tagIds[] = trim($rule->textContent);
                }
            }
        }
        if ($favorite === null && !$systemTags) throw new DAV\Exception\BadRequest('Missing filter-rules');

        $paths = [];
        if ($systemTags) {
            $paths = $this->taggedPaths($tagIds, rtrim($uri, '/'), $favorite === true);
        } elseif ($favorite) {
            $this->collectFavorites($folder, rtrim($uri, '/'), $paths);
        }
        $responses = [];
        foreach ($paths as $path) {
            foreach ($this->server->getPropertiesForPath($path, $properties, 0) as $row) $responses[] = $row;
        }
        $this->server->httpResponse->sendStatus(207);
        $this->server->httpResponse->setHeader('Content-Type', 'application/xml; charset=utf-8');
        $this->server->httpResponse->sendBody($this->server->generateMultiStatus($responses));
        return false;
    }

    /** @param list<string> $tagIds @return list<string> */
    private function taggedPaths(array $tagIds, string $uri, bool $favoritesOnly): array
    {
        $store = new TagStore($this->ctx->cache->pdo(), $this->ctx->viewer);
        $ids = [];
        foreach ($tagIds as $tagId) {
            $tag = ctype_digit($tagId) ? $store->tag((int) $tagId) : null;
            if ($tag === null) throw new DAV\Exception\PreconditionFailed('Cannot filter by non-existing tag');
            $ids[] = $tag['id'];
        }
        // The requested folder as a path in the viewer's files ('' = the root).
        $under = implode('/', array_slice(explode('/', $uri), 2));
        $home = 'files/' . $this->ctx->viewer;
        $paths = [];
        foreach ($store->filesWithAll($ids) as $fileId) {
            if ($favoritesOnly && !$this->ctx->cache->isFavorite($this->ctx->viewer, $fileId)) continue;
            $found = FileExtras::nodeForFileId($this->ctx, $fileId);
            if ($found === null || $found['path'] === '') continue;
            if ($under !== '' && !str_starts_with($found['path'] . '/', $under . '/')) continue;
            $paths[] = $home . '/' . $found['path'];
        }
        sort($paths, SORT_STRING);
        return $paths;
    }

    /** @param list<string> $paths */
    private function collectFavorites(FsDirectory $dir, string $path, array &$paths): void
    {
        foreach ($dir->getChildren() as $child) {
            $childPath = $path . '/' . $child->getName();
            if ($this->ctx->cache->isFavorite($this->ctx->viewer, $child->fileId())) $paths[] = $childPath;
            if ($child instanceof FsDirectory) $this->collectFavorites($child, $childPath, $paths);
        }
    }
}
