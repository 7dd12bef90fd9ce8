<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// DASL SEARCH (RFC 5323 basicsearch) on /remote.php/dav/, as Nextcloud's FileSearchBackend (SearchDAV) does:
// scopes /files/{uid}[/folder], where (eq gt gte lt lte like and or not is-collection is-defined),
// orderby, limit with nresults (default 100) and SearchDAV's firstresult. Results are answered like a
// PROPFIND of each hit, so shared-in nodes appear under the searcher's own hrefs.
final class SearchPlugin extends DAV\ServerPlugin
{
    public const NS_SEARCHDAV = 'https://github.com/icewind1991/SearchDAV/ns';
    private const MAX_OPERATORS = 100;

    private DAV\Server $server;
    private int $operators = 0;

    public function __construct(private FsContext $ctx)
    {
    }

    public function getPluginName()
    {
        return 'simsearch';
    }

    public function getFeatures()
    {
        return [];
    }

    public function initialize(DAV\Server $server)
    {
        $this->server = $server;
        $server->subscribeEvent('unknownMethod', [$this, 'unknownMethod']);
        $server->subscribeEvent('beforeMethod', [$this, 'beforeMethod']);
    }

    public function beforeMethod($method, $uri)
    {
        // RFC 5323 discovery, as SearchDAV announces it.
        if ($method === 'OPTIONS') $this->server->httpResponse->setHeader('DASL', '<DAV:basicsearch>');
        return true;
    }

    public function getHTTPMethods($uri)
    {
        return $uri === '' ? ['SEARCH'] : [];
    }

    public function unknownMethod($method, $uri)
    {
        if ($method !== 'SEARCH') return true;
        if ($uri !== '') throw new DAV\Exception\MethodNotAllowed('SEARCH is only supported on the DAV root');
        $this->search($this->server->httpRequest->getBody(true));
        return false;
    }

    private function search(string $body): void
    {
        $dom = new \DOMDocument();
        if (trim($body) === '' || !@$dom->loadXML($body, LIBXML_NONET)) {
            throw new DAV\Exception\BadRequest('Parse error: invalid XML');
        }
        $request = $dom->documentElement;
        if (self::clark($request) !== '{DAV:}searchrequest') throw new DAV\Exception\BadRequest('Parse error: expected {DAV:}searchrequest');
        $basic = self::child($request, '{DAV:}basicsearch');
        if (!$basic) throw new DAV\Exception\BadRequest('Parse error: Missing {DAV:}basicsearch in {DAV:}searchrequest');
        foreach (['select', 'from', 'where'] as $part) {
            if (!self::child($basic, '{DAV:}' . $part)) throw new DAV\Exception\BadRequest('Parse error: Missing {DAV:}' . $part . ' in {DAV:}basicsearch');
        }

        $select = [];
        $prop = self::child(self::child($basic, '{DAV:}select'), '{DAV:}prop');
        foreach ($prop ? self::elements($prop) : [] as $el) $select[] = self::clark($el);

        $where = self::elements(self::child($basic, '{DAV:}where'));
        if (count($where) !== 1) throw new DAV\Exception\BadRequest('Parse error: {DAV:}where needs exactly one operator');
        $this->operators = 0;
        $this->validate($where[0]);

        $hits = [];
        foreach (self::elements(self::child($basic, '{DAV:}from')) as $scope) {
            if (self::clark($scope) !== '{DAV:}scope') continue;
            $href = trim((string) self::child($scope, '{DAV:}href')?->textContent);
            $depthText = strtolower(trim((string) (self::child($scope, '{DAV:}depth')?->textContent ?? 'infinity')));
            $path = $this->scopePath($href);
            $node = $this->server->tree->getNodeForPath($path);
            if (!$node instanceof FsDirectory) throw new DAV\Exception\BadRequest('Search scope must be a folder: ' . $href);
            $this->walk($node, $path, $depthText === '1' ? 1 : PHP_INT_MAX, $hits);
        }
        $hits = array_values(array_filter($hits, fn (array $hit) => $this->matches($where[0], $hit['node'])));

        $orderby = self::child($basic, '{DAV:}orderby');
        if ($orderby) $this->sort($hits, $orderby);

        $limit = self::child($basic, '{DAV:}limit');
        $nresults = 100;
        $first = 0;
        if ($limit) {
            $n = self::child($limit, '{DAV:}nresults');
            if ($n) $nresults = max(0, (int) trim($n->textContent));
            $f = self::child($limit, '{' . self::NS_SEARCHDAV . '}firstresult');
            if ($f) $first = max(0, (int) trim($f->textContent));
        }
        $hits = array_slice($hits, $first, $nresults);

        $results = [];
        foreach ($hits as $hit) {
            foreach ($this->server->getPropertiesForPath($hit['path'], $select, 0) as $row) $results[] = $row;
        }
        $this->server->httpResponse->sendStatus(207);
        $this->server->httpResponse->setHeader('Content-Type', 'application/xml; charset=utf-8');
        $this->server->httpResponse->sendBody($this->server->generateMultiStatus($results));
    }

    /** '/files/alice/Documents' (relative to the DAV root, or absolute) → tree path 'files/alice/Documents'. */
    private function scopePath(string $href): string
    {
        $path = (string) parse_url($href, PHP_URL_PATH);
        $base = rtrim($this->server->getBaseUri(), '/');
        if (str_starts_with($path, $base . '/')) $path = substr($path, strlen($base));
        $path = trim(DAV\URLUtil::decodePath($path), '/');
        $parts = explode('/', $path);
        if (($parts[0] ?? '') !== 'files' || ($parts[1] ?? '') === '') {
            throw new DAV\Exception\BadRequest('Invalid search scope: ' . $href);
        }
        if ($parts[1] !== $this->ctx->viewer) {
            throw new DAV\Exception\NotFound('Invalid search scope: no access to ' . $href);
        }
        return $path;
    }

    /** @param list<array{path:string, node:FsNode}> $hits */
    private function walk(FsDirectory $dir, string $path, int $depth, array &$hits): void
    {
        foreach ($dir->getChildren() as $child) {
            $childPath = $path . '/' . $child->getName();
            $hits[] = ['path' => $childPath, 'node' => $child];
            if ($depth > 1 && $child instanceof FsDirectory) $this->walk($child, $childPath, $depth - 1, $hits);
        }
    }

    private function validate(\DOMElement $op): void
    {
        if (++$this->operators > self::MAX_OPERATORS) throw new DAV\Exception\BadRequest('Too many operators in search query');
        $name = self::clark($op);
        switch ($name) {
            case '{DAV:}and':
            case '{DAV:}or':
                foreach (self::elements($op) as $child) $this->validate($child);
                return;
            case '{DAV:}not':
                $children = self::elements($op);
                if (count($children) !== 1) throw new DAV\Exception\BadRequest('{DAV:}not needs exactly one operand');
                $this->validate($children[0]);
                return;
            case '{DAV:}is-collection':
                return;
            case '{DAV:}is-defined':
                $this->operandProperty($op, false);
                return;
            case '{DAV:}eq': case '{DAV:}gt': case '{DAV:}gte': case '{DAV:}lt': case '{DAV:}lte': case '{DAV:}like':
                $this->operandProperty($op, true);
                if (!self::child($op, '{DAV:}literal')) throw new DAV\Exception\BadRequest('Missing {DAV:}literal in ' . $name);
                return;
            default:
                throw new DAV\Exception\BadRequest('Unsupported operator: ' . $name);
        }
    }

    private function operandProperty(\DOMElement $op, bool $searchable): string
    {
        $prop = self::child($op, '{DAV:}prop');
        $el = $prop ? (self::elements($prop)[0] ?? null) : null;
        if (!$el) throw new DAV\Exception\BadRequest('Missing {DAV:}prop in ' . self::clark($op));
        $name = self::clark($el);
        if ($searchable && !in_array($name, self::WHERE_PROPS, true)) {
            throw new DAV\Exception\BadRequest('Unsupported property for search or order: ' . $name);
        }
        return $name;
    }

    private const WHERE_PROPS = [
        '{DAV:}displayname', '{DAV:}getcontenttype', '{DAV:}getlastmodified', '{DAV:}creationdate',
        '{http://nextcloud.org/ns}upload_time', '{http://owncloud.org/ns}size', '{http://owncloud.org/ns}fileid',
        '{http://owncloud.org/ns}favorite', '{http://owncloud.org/ns}owner-id',
    ];
    private const ORDER_PROPS = [
        '{DAV:}displayname', '{DAV:}getcontenttype', '{DAV:}getlastmodified', '{DAV:}creationdate',
        '{http://nextcloud.org/ns}upload_time', '{http://nextcloud.org/ns}last_activity', '{http://owncloud.org/ns}size',
        '{http://owncloud.org/ns}favorite',
    ];

    private function matches(\DOMElement $op, FsNode $node): bool
    {
        $name = self::clark($op);
        switch ($name) {
            case '{DAV:}and':
                foreach (self::elements($op) as $child) if (!$this->matches($child, $node)) return false;
                return true;
            case '{DAV:}or':
                foreach (self::elements($op) as $child) if ($this->matches($child, $node)) return true;
                return false;
            case '{DAV:}not':
                return !$this->matches(self::elements($op)[0], $node);
            case '{DAV:}is-collection':
                return $node instanceof FsDirectory;
            case '{DAV:}is-defined':
                return $this->value($this->operandProperty($op, false), $node) !== null;
        }
        $prop = $this->operandProperty($op, true);
        $actual = $this->value($prop, $node);
        $literal = $this->literal($prop, (string) self::child($op, '{DAV:}literal')->textContent);
        if ($actual === null) return false;
        if ($name === '{DAV:}like') {
            return preg_match(self::likePattern((string) $literal), (string) $actual) === 1;
        }
        $cmp = is_string($actual) ? strcmp($actual, (string) $literal) : $actual <=> $literal;
        return match ($name) {
            '{DAV:}eq' => $cmp === 0,
            '{DAV:}gt' => $cmp > 0,
            '{DAV:}gte' => $cmp >= 0,
            '{DAV:}lt' => $cmp < 0,
            '{DAV:}lte' => $cmp <= 0,
        };
    }

    /** SQL LIKE → regex: % any run, _ one character; case-insensitive like Nextcloud's iLike. */
    private static function likePattern(string $like): string
    {
        $regex = '';
        foreach (preg_split('//u', $like, -1, PREG_SPLIT_NO_EMPTY) as $char) {
            $regex .= match ($char) { '%' => '.*', '_' => '.', default => preg_quote($char, '/') };
        }
        return '/^' . $regex . '$/isu';
    }

    private function value(string $prop, FsNode $node): string|int|bool|null
    {
        return match ($prop) {
            '{DAV:}displayname' => $node->getName(),
            '{DAV:}getcontenttype' => $node instanceof FsFile ? $node->getContentType() : 'httpd/unix-directory',
            '{DAV:}getlastmodified', '{http://nextcloud.org/ns}last_activity' => (int) $node->getLastModified(),
            '{DAV:}creationdate' => $node->meta()['creation_time'],
            '{http://nextcloud.org/ns}upload_time' => $node->meta()['upload_time'],
            '{http://owncloud.org/ns}size' => $node->size(),
            '{http://owncloud.org/ns}fileid' => $node->fileId(),
            '{http://owncloud.org/ns}favorite' => $this->ctx->cache->isFavorite($this->ctx->viewer, $node->fileId()),
            '{http://owncloud.org/ns}owner-id' => $node->owner,
            default => null,
        };
    }

    private function literal(string $prop, string $text): string|int|bool
    {
        $text = trim($text);
        switch ($prop) {
            case '{DAV:}getlastmodified':
            case '{DAV:}creationdate':
            case '{http://nextcloud.org/ns}upload_time':
                if (ctype_digit($text)) return (int) $text;
                $time = strtotime($text);
                if ($time === false) throw new DAV\Exception\BadRequest('Invalid date: ' . $text);
                return $time;
            case '{http://owncloud.org/ns}size':
            case '{http://owncloud.org/ns}fileid':
                return (int) $text;
            case '{http://owncloud.org/ns}favorite':
                // FileSearchBackend::castValue: only the literal "yes" is true.
                return $text === 'yes';
            case '{http://owncloud.org/ns}owner-id':
                if ($text !== $this->ctx->viewer) throw new DAV\Exception\BadRequest('Searching for owner-id is only allowed with the current user id');
                return $text;
            default:
                return $text;
        }
    }

    /** @param list<array{path:string, node:FsNode}> $hits */
    private function sort(array &$hits, \DOMElement $orderby): void
    {
        $orders = [];
        foreach (self::elements($orderby) as $order) {
            $prop = self::child($order, '{DAV:}prop');
            $el = $prop ? (self::elements($prop)[0] ?? null) : null;
            if (!$el) continue;
            $name = self::clark($el);
            if (!in_array($name, self::ORDER_PROPS, true)) throw new DAV\Exception\BadRequest('Unsupported property for search or order: ' . $name);
            $orders[] = [$name, self::child($order, '{DAV:}descending') !== null];
        }
        usort($hits, function (array $a, array $b) use ($orders): int {
            foreach ($orders as [$prop, $descending]) {
                $x = $this->value($prop, $a['node']);
                $y = $this->value($prop, $b['node']);
                $cmp = is_string($x) ? strcasecmp((string) $x, (string) $y) : $x <=> $y;
                if ($cmp !== 0) return $descending ? -$cmp : $cmp;
            }
            return 0;
        });
    }

    private static function clark(\DOMNode $node): string
    {
        return '{' . $node->namespaceURI . '}' . $node->localName;
    }

    private static function child(?\DOMElement $parent, string $clark): ?\DOMElement
    {
        if (!$parent) return null;
        foreach (self::elements($parent) as $el) {
            if (self::clark($el) === $clark) return $el;
        }
        return null;
    }

    /** @return list<\DOMElement> */
    private static function elements(?\DOMElement $parent): array
    {
        $out = [];
        if (!$parent) return $out;
        foreach ($parent->childNodes as $node) {
            if ($node instanceof \DOMElement) $out[] = $node;
        }
        return $out;
    }
}
