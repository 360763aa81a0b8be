-- 14: user profiles (TIMProfileModifySelfUserProfile): one row per user who set theirs; a
-- user without a row has the empty profile. custom: a JSON array of the custom fields.
CREATE TABLE profiles (
   user_id        TEXT    NOT NULL PRIMARY KEY,
   nick           TEXT    NOT NULL DEFAULT '',
   gender         INTEGER NOT NULL DEFAULT 0,
   face_url       TEXT    NOT NULL DEFAULT '',
   signature      TEXT    NOT NULL DEFAULT '',
   add_permission INTEGER NOT NULL DEFAULT 0,
   location       TEXT    NOT NULL DEFAULT '',
   language       INTEGER NOT NULL DEFAULT 0,
   birthday       INTEGER NOT NULL DEFAULT 0,
   level          INTEGER NOT NULL DEFAULT 0,
   role           INTEGER NOT NULL DEFAULT 0,
   custom         TEXT    NOT NULL DEFAULT '[]',
   updated        INTEGER NOT NULL DEFAULT 0
);
