<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\DAV;
use Sabre\DAVACL;

// sabre 1.8 writes every privilege with the prefix "d:", rebinding it to the CalDAV namespace for
// <cal:read-free-busy/>. Valid XML, but clients that match on prefixes (and many do, wrongly) then see a
// {DAV:}read-free-busy. Re-serialise d:current-user-privilege-set with the server's usual prefixes.
final class PrivilegeSetPlugin extends DAV\ServerPlugin
{
    private DAV\Server $server;

    public function getPluginName()
    {
        return 'simprivilegeset';
    }

    public function initialize(DAV\Server $server)
    {
        $this->server = $server;
        $server->subscribeEvent('afterGetProperties', [$this, 'afterGetProperties']);
    }

    public function afterGetProperties($path, &$properties, DAV\INode $node)
    {
        $name = '{DAV:}current-user-privilege-set';
        if (!isset($properties[200][$name])) return true;
        $acl = $this->server->getPlugin('acl');
        if (!$acl instanceof DAVACL\Plugin) return true;
        $properties[200][$name] = new PrivilegeSetProperty((array) $acl->getCurrentUserPrivilegeSet($path));
        return true;
    }
}
