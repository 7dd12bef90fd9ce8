-- CardDAV: sabre 1.8's PDO tables (examples/sql/sqlite.addressbook.sql) plus Nextcloud's address book shares.
CREATE TABLE addressbooks (
    id integer primary key asc, principaluri text, displayname text, uri text, description text, ctag integer
);
CREATE TABLE cards (
    id integer primary key asc, addressbookid integer, carddata blob, uri text, lastmodified integer
);
CREATE TABLE addressbook_shares (
    id integer primary key asc, addressbookid integer, sharee text, readonly integer
);
