<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;

// Namespace prefixes for the Nextcloud calendar properties (parsing is by namespace; prefixes are cosmetic).
final class CalendarPropsPlugin extends DAV\ServerPlugin
{
    public function initialize(DAV\Server $server)
    {
        $server->xmlNamespaces[CalendarBackend::NS_OWNCLOUD] = 'oc';
        $server->xmlNamespaces[CalendarBackend::NS_NEXTCLOUD_COM] = 'ncc';
        $server->xmlNamespaces['http://apple.com/ns/ical/'] = 'x1';
    }

    public function getPluginName()
    {
        return 'simcalendarprops';
    }
}
