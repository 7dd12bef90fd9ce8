<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// Nextcloud's oc:filter-files REPORT (contract 1.9): favourites below the requested folder, recursively.
// System tags do not exist in the simulator, so an oc:systemtag rule matches nothing.
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
        foreach ($dom->documentElement->childNodes as $child) {
            if (!$child instanceof \DOMElement) continue;
            $name = DAV\XMLUtil::toClarkNotation($child);
            if ($name === '{DAV:}prop') $properties = array_keys(DAV\XMLUtil::parseProperties($dom->documentElement));
            if ($name !== '{' . FilesPlugin::NS_OWNCLOUD . '}filter-rules') continue;
            foreach ($child->childNodes as $rule) {
                if (!$rule instanceof \DOMElement) continue;
                $ruleName = DAV\XMLUtil::toClarkNotation($rule);
                if ($ruleName === '{' . FilesPlugin::NS_OWNCLOUD . '}favorite') $favorite = trim($rule->textContent) === '1';
                if ($ruleName === '{' . FilesPlugin::NS_OWNCLOUD . '}systemtag') $systemTags = true;
            }
        }
        if ($favorite === null && !$systemTags) throw new DAV\Exception\BadRequest('Missing filter-rules');

        $paths = [];
        if (!$systemTags && $favorite) $this->collectFavorites($folder, rtrim($uri, '/'), $paths);
        $responses = [];
        foreach ($paths as $path) {
            foreach ($this->server->getPropertiesForPath($path, $properties, 0) as $row) $responses[] = $row;
        }
        $this->server->httpResponse->sendStatus(207);
        $this->server->httpResponse->setHeader('Content-Type', 'application/xml; charset=utf-8');
        $this->server->httpResponse->sendBody($this->server->generateMultiStatus($responses));
        return false;
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
