<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\CalDAV;
use Sabre\DAV;
use Sabre\DAVACL;

// Assembles the tree Nextcloud serves under /remote.php/dav/: files/, principals/users/, calendars/, and what
// Contacts (addressbooks/) and FileExtras (systemtags, versions, trash bin) add.
final class ServerFactory
{
    public const BASE_URI = '/remote.php/dav/';

    public static function create(string $dataDir, string $uid): DAV\Server
    {
        $pdo = Db::open($dataDir);
        $ctx = new FsContext($dataDir, $uid, new FileCache($pdo), new Shares($pdo));
        $principalBackend = new DAVACL\PrincipalBackend\PDO($pdo);
        $calendarBackend = new CalendarBackend($pdo);

        $calendars = new CalendarRoot($principalBackend, $calendarBackend, 'principals/users');
        $calendars->viewer = $uid;
        $root = new DAV\SimpleCollection('root', [
            new FilesRoot($ctx),
            new DAV\SimpleCollection('principals', [new CalDAV\Principal\Collection($principalBackend, 'principals/users')]),
            $calendars,
            ...Contacts::collections($pdo, $uid, $principalBackend),
            ...FileExtras::collections($ctx, $pdo, $uid),
        ]);
        // Nextcloud does not expose sabre's version in error bodies or headers.
        DAV\Server::$exposeVersion = false;
        $server = new DAV\Server(new FilesTree($root));
        $server->setBaseUri(self::BASE_URI);
        $server->debugExceptions = false;

        $server->addPlugin(new DAV\Auth\Plugin(new AuthBackend($uid), 'Nextcloud'));
        $acl = new DAVACL\Plugin();
        $acl->defaultUsernamePath = 'principals/users';
        $acl->principalCollectionSet = ['principals/users'];
        $acl->hideNodesFromListings = true;
        $server->addPlugin($acl);
        $server->addPlugin(new CalDAV\Plugin());
        $server->addPlugin(new CalendarPropsPlugin());
        $server->addPlugin(new PrivilegeSetPlugin());
        $server->addPlugin(new CalendarMultigetPlugin());
        $server->addPlugin(new CalendarSearchPlugin());
        $server->addPlugin(new FilesPlugin($ctx));
        $server->addPlugin(new SearchPlugin($ctx));
        $server->addPlugin(new FilterFilesPlugin($ctx));
        foreach ([...Contacts::plugins($pdo, $uid), ...FileExtras::plugins($ctx, $pdo, $uid)] as $plugin) {
            $server->addPlugin($plugin);
        }
        return $server;
    }
}
