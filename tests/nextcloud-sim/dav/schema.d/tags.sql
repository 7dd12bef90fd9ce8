-- System tags (oc_systemtag, oc_systemtag_object_mapping): kind = public | restricted | invisible.
CREATE TABLE systemtags (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, visible INTEGER NOT NULL, assignable INTEGER NOT NULL
);
CREATE TABLE systemtag_mapping (tagid INTEGER NOT NULL, fileid INTEGER NOT NULL, PRIMARY KEY(tagid, fileid));
