<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CalDAV;
use Sabre\DAV;
use Sabre\VObject;

// calendar-multiget as sabre 4 answers it: an href that does not exist (deleted meanwhile, or never there)
// becomes a 404 entry in the 207, where sabre 1.8 fails the whole REPORT with 404.
final class CalendarMultigetPlugin extends DAV\ServerPlugin
{
    private const REPORT = '{' . CalDAV\Plugin::NS_CALDAV . '}calendar-multiget';

    private DAV\Server $server;

    public function getPluginName()
    {
        return 'simcalendarmultiget';
    }

    public function initialize(DAV\Server $server)
    {
        $this->server = $server;
        $server->subscribeEvent('report', [$this, 'report'], 50); // before the CalDAV plugin (100)
    }

    public function report($reportName, \DOMDocument $dom, $uri)
    {
        if ($reportName !== self::REPORT) return true;
        $properties = array_keys(DAV\XMLUtil::parseProperties($dom->firstChild));
        $xpath = new \DOMXPath($dom);
        $xpath->registerNamespace('cal', CalDAV\Plugin::NS_CALDAV);
        $xpath->registerNamespace('dav', 'urn:DAV');
        [$start, $end] = $this->expandRange($xpath);

        $responses = [];
        foreach ($dom->getElementsByTagNameNS('urn:DAV', 'href') as $element) {
            $path = $this->server->calculateUri($element->nodeValue);
            try {
                [$row] = $this->server->getPropertiesForPath($path, $properties);
            } catch (DAV\Exception\NotFound) {
                $responses[] = ['href' => $path, 404 => array_fill_keys($properties, null)];
                continue;
            }
            $data = '{' . CalDAV\Plugin::NS_CALDAV . '}calendar-data';
            if ($start !== null && isset($row[200][$data])) {
                $calendar = VObject\Reader::read($row[200][$data]);
                $calendar->expand($start, $end);
                $row[200][$data] = $calendar->serialize();
            }
            $responses[] = $row;
        }
        $prefer = $this->server->getHTTPPrefer();
        $this->server->httpResponse->sendStatus(207);
        $this->server->httpResponse->setHeader('Content-Type', 'application/xml; charset=utf-8');
        $this->server->httpResponse->setHeader('Vary', 'Brief,Prefer');
        $this->server->httpResponse->sendBody($this->server->generateMultiStatus($responses, $prefer['return-minimal']));
        return false;
    }

    /** @return array{0: ?\DateTime, 1: ?\DateTime} */
    private function expandRange(\DOMXPath $xpath): array
    {
        $expand = $xpath->query('/cal:calendar-multiget/dav:prop/cal:calendar-data/cal:expand')->item(0);
        if (!$expand instanceof \DOMElement) return [null, null];
        if (!$expand->getAttribute('start') || !$expand->getAttribute('end')) {
            throw new DAV\Exception\BadRequest('The "start" and "end" attributes are required for the CALDAV:expand element');
        }
        $start = VObject\DateTimeParser::parseDateTime($expand->getAttribute('start'));
        $end = VObject\DateTimeParser::parseDateTime($expand->getAttribute('end'));
        if ($end <= $start) throw new DAV\Exception\BadRequest('The end-date must be larger than the start-date in the expand element.');
        return [$start, $end];
    }
}
