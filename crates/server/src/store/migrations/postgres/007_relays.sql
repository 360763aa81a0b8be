-- 7: the bundles of forwarded messages behind merger elements, kept under an unguessable key.
CREATE TABLE relays (
   relay_key TEXT NOT NULL PRIMARY KEY,
   owner     TEXT NOT NULL,
   body      TEXT NOT NULL,
   created   BIGINT NOT NULL
);
