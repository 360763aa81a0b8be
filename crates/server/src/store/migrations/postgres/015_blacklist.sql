-- 15: blacklists: who each user blocked, and when.
CREATE TABLE blacklist (
   owner    TEXT    NOT NULL,
   blocked  TEXT    NOT NULL,
   add_time BIGINT NOT NULL,
   PRIMARY KEY (owner, blocked)
);
