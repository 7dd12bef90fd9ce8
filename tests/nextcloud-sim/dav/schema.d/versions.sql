-- Earlier contents of files (files_versions; the bytes live in <dataDir>/<owner>/versions/<fileid>/<revision>)
-- and what the trash bin remembers of a deleted node (files_trashbin's oc_files_trash).
CREATE TABLE versions (
    fileid INTEGER NOT NULL, revision INTEGER NOT NULL, owner TEXT NOT NULL, size INTEGER NOT NULL,
    author TEXT NOT NULL, label TEXT NOT NULL DEFAULT '', PRIMARY KEY(fileid, revision)
);
CREATE TABLE trash (
    owner TEXT NOT NULL, item TEXT NOT NULL, location TEXT NOT NULL, deleted_at INTEGER NOT NULL,
    fileid INTEGER NOT NULL, deleted_by TEXT NOT NULL, PRIMARY KEY(owner, item)
);
