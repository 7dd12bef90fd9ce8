<?php
declare(strict_types=1);

namespace SimDav;

// One SQLite file per data dir holds CalDAV (sabre's PDO tables), principals, the file cache (fileid/etag),
// favourites and shares. Four PHP workers share it, hence WAL and a busy timeout.
final class Db
{
    public static function open(string $dataDir): \PDO
    {
        $pdo = new \PDO('sqlite:' . $dataDir . '/sim.sqlite');
        $pdo->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_EXCEPTION);
        $pdo->setAttribute(\PDO::ATTR_TIMEOUT, 10);
        $pdo->exec('PRAGMA busy_timeout = 10000');
        return $pdo;
    }

    public static function createSchema(\PDO $pdo): void
    {
        $pdo->exec('PRAGMA journal_mode = WAL');
        // Tables as in sabre/dav 1.8's examples/sql/sqlite.*.sql, plus Nextcloud's calendar soft-delete column.
        $pdo->exec(<<<'SQL'
CREATE TABLE calendarobjects (
    id integer primary key asc, calendardata blob, uri text, calendarid integer, lastmodified integer,
    etag text, size integer, componenttype text, firstoccurence integer, lastoccurence integer
);
CREATE TABLE calendars (
    id integer primary key asc, principaluri text, displayname text, uri text, ctag integer, description text,
    calendarorder integer, calendarcolor text, timezone text, components text, transparent bool,
    deleted_at integer
);
CREATE TABLE principals (
    id INTEGER PRIMARY KEY ASC, uri TEXT, email TEXT, displayname TEXT, vcardurl TEXT, UNIQUE(uri)
);
CREATE TABLE groupmembers (
    id INTEGER PRIMARY KEY ASC, principal_id INTEGER, member_id INTEGER, UNIQUE(principal_id, member_id)
);
CREATE TABLE calendar_shares (
    id integer primary key asc, calendarid integer, sharee text, readonly integer
);
CREATE TABLE filecache (
    fileid INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, path TEXT NOT NULL, etag TEXT NOT NULL,
    creation_time INTEGER NOT NULL, upload_time INTEGER NOT NULL, UNIQUE(owner, path)
);
CREATE TABLE favorites (uid TEXT NOT NULL, fileid INTEGER NOT NULL, PRIMARY KEY(uid, fileid));
CREATE TABLE shares (
    id INTEGER PRIMARY KEY, owner TEXT NOT NULL, path TEXT NOT NULL, recipient TEXT NOT NULL,
    target TEXT NOT NULL, permissions INTEGER NOT NULL
);
SQL);
        // Each area adds its own tables (contacts, system tags, versions ...), one file each.
        foreach (glob(__DIR__ . '/../schema.d/*.sql') ?: [] as $file) {
            $pdo->exec((string) file_get_contents($file));
        }
    }
}
