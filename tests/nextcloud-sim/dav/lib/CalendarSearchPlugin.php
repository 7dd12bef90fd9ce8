<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CalDAV;
use Sabre\DAV;
use Sabre\VObject;

// Nextcloud's ncc:calendar-search REPORT on a calendar home (contract 2.5): objects whose listed
// properties contain the search term, across the user's own and shared-in calendars (trashed calendars
// excluded; of shared ones only PUBLIC objects), with ncc:limit / ncc:offset. Hrefs are in the searching user's home.
final class CalendarSearchPlugin extends DAV\ServerPlugin
{
    private const NS = CalendarBackend::NS_NEXTCLOUD_COM;
    private const REPORT = '{' . self::NS . '}calendar-search';

    private DAV\Server $server;

    public function getPluginName()
    {
        return 'simcalendarsearch';
    }

    public function getFeatures()
    {
        return ['nc-calendar-search'];
    }

    public function getSupportedReportSet($uri)
    {
        return $this->server->tree->getNodeForPath($uri) instanceof UserCalendars ? [self::REPORT] : [];
    }

    public function initialize(DAV\Server $server)
    {
        $this->server = $server;
        $server->subscribeEvent('report', [$this, 'report']);
    }

    public function report($reportName, \DOMDocument $dom, $uri)
    {
        if ($reportName !== self::REPORT) return true;
        $home = $this->server->tree->getNodeForPath($uri);
        if (!$home instanceof UserCalendars) throw new DAV\Exception\ReportNotSupported('calendar-search is only supported on a calendar home');
        $query = $this->parse($dom);

        $paths = [];
        foreach ($home->getChildren() as $calendar) {
            if (!$calendar instanceof CalDAV\Calendar) continue;
            if ($calendar->getProperties(['{' . self::NS . '}deleted-at'])) continue;
            // Nextcloud searches only the PUBLIC objects of calendars shared with the user (CalDavBackend::calendarSearch).
            $objects = $calendar instanceof SharedCalendar ? $calendar->publicChildren() : $calendar->getChildren();
            foreach ($objects as $object) {
                if ($this->matches((string) $object->get(), $query)) {
                    $paths[] = rtrim($uri, '/') . '/' . $calendar->getName() . '/' . $object->getName();
                }
            }
        }
        $paths = array_slice($paths, $query['offset'], $query['limit']);

        $responses = [];
        foreach ($paths as $path) {
            foreach ($this->server->getPropertiesForPath($path, $query['properties'], 0) as $row) $responses[] = $row;
        }
        $this->server->httpResponse->sendStatus(207);
        $this->server->httpResponse->setHeader('Content-Type', 'application/xml; charset=utf-8');
        $this->server->httpResponse->sendBody($this->server->generateMultiStatus($responses));
        return false;
    }

    /** @return array{properties: list<string>, comps: list<string>, props: list<string>, params: list<array{0:string,1:string}>, term: string, limit: ?int, offset: int} */
    private function parse(\DOMDocument $dom): array
    {
        $query = ['properties' => [], 'comps' => [], 'props' => [], 'params' => [], 'term' => null, 'limit' => null, 'offset' => 0];
        foreach (self::children($dom->documentElement) as $name => $element) {
            if ($name === '{DAV:}prop') $query['properties'] = array_keys(DAV\XMLUtil::parseProperties($dom->documentElement));
            if ($name === '{' . self::NS . '}limit') $query['limit'] = max(0, (int) trim($element->textContent));
            if ($name === '{' . self::NS . '}offset') $query['offset'] = max(0, (int) trim($element->textContent));
            if ($name !== '{' . self::NS . '}filter') continue;
            foreach (self::children($element, true) as [$filterName, $filter]) {
                match ($filterName) {
                    '{' . self::NS . '}comp-filter' => $query['comps'][] = strtoupper($filter->getAttribute('name')),
                    '{' . self::NS . '}prop-filter' => $query['props'][] = strtoupper($filter->getAttribute('name')),
                    '{' . self::NS . '}param-filter' => $query['params'][] = [strtoupper($filter->getAttribute('property')), strtoupper($filter->getAttribute('name'))],
                    '{' . self::NS . '}search-term' => $query['term'] = $filter->textContent,
                    default => null,
                };
            }
        }
        if (!$query['comps']) throw new DAV\Exception\BadRequest('{' . self::NS . '}comp-filter is required for this request');
        if (!$query['props'] && !$query['params']) throw new DAV\Exception\BadRequest('At least one {' . self::NS . '}prop-filter or {' . self::NS . '}param-filter is required for this request');
        if ($query['term'] === null) throw new DAV\Exception\BadRequest('{' . self::NS . '}search-term is required for this request');
        return $query;
    }

    private function matches(string $data, array $query): bool
    {
        try {
            $calendar = VObject\Reader::read($data);
        } catch (\Throwable) {
            return false;
        }
        foreach ($query['comps'] as $comp) {
            foreach ($calendar->select($comp) as $component) {
                foreach ($query['props'] as $prop) {
                    foreach ($component->select($prop) as $property) {
                        if (mb_stripos((string) $property, $query['term']) !== false) return true;
                    }
                }
                foreach ($query['params'] as [$prop, $param]) {
                    foreach ($component->select($prop) as $property) {
                        if (isset($property[$param]) && mb_stripos((string) $property[$param], $query['term']) !== false) return true;
                    }
                }
            }
        }
        return false;
    }

    /** @return iterable<mixed> element children keyed by clark name, or as [name, element] pairs */
    private static function children(\DOMElement $parent, bool $pairs = false): iterable
    {
        foreach ($parent->childNodes as $child) {
            if (!$child instanceof \DOMElement) continue;
            $name = DAV\XMLUtil::toClarkNotation($child);
            if ($pairs) {
                yield [$name, $child];
            } else {
                yield $name => $child;
            }
        }
    }
}
