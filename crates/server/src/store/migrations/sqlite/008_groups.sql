-- 8: groups and their members. A group's messages will live in its own sequence, as a C2C
-- conversation's do; unread counts derive from the group's last seq and each member's read seq.
CREATE TABLE groups (
   group_id       TEXT    NOT NULL PRIMARY KEY,
   group_type     INTEGER NOT NULL,
   name           TEXT    NOT NULL,
   owner          TEXT    NOT NULL,
   notification   TEXT    NOT NULL DEFAULT '',
   introduction   TEXT    NOT NULL DEFAULT '',
   face_url       TEXT    NOT NULL DEFAULT '',
   add_option     INTEGER NOT NULL,
   max_members    INTEGER NOT NULL,
   shutup_all     INTEGER NOT NULL DEFAULT 0,
   custom         TEXT    NOT NULL DEFAULT '[]',
   created        INTEGER NOT NULL,
   info_seq       INTEGER NOT NULL DEFAULT 1,
   last_info_time INTEGER NOT NULL,
   last_seq       INTEGER NOT NULL DEFAULT 0,
   last_msg_time  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE group_members (
   group_id     TEXT    NOT NULL,
   user_id      TEXT    NOT NULL,
   role         INTEGER NOT NULL,
   join_time    INTEGER NOT NULL,
   msg_flag     INTEGER NOT NULL DEFAULT 0,
   shutup_until INTEGER NOT NULL DEFAULT 0,
   name_card    TEXT    NOT NULL DEFAULT '',
   custom       TEXT    NOT NULL DEFAULT '[]',
   read_seq     INTEGER NOT NULL DEFAULT 0,
   PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id, group_id);
