-- 17: media kept in PostgreSQL, for clusters (any node serves any file). An upload's bytes are
-- chunks at their offsets (variant 'part' while it is in progress; 'orig' once finished,
-- beside the 'large' and 'thumb' variants of an image); a file exists once media_files has it.
CREATE TABLE media_uploads (
   id       TEXT    PRIMARY KEY,
   owner    TEXT    NOT NULL,
   upload   TEXT    NOT NULL,
   received BIGINT  NOT NULL DEFAULT 0
);
CREATE TABLE media_chunks (
   id      TEXT   NOT NULL,
   variant TEXT   NOT NULL,
   "offset" BIGINT NOT NULL,
   data    BYTEA  NOT NULL,
   PRIMARY KEY (id, variant, "offset")
);
CREATE TABLE media_files (
   id         TEXT    PRIMARY KEY,
   info       TEXT    NOT NULL,
   created    BIGINT  NOT NULL,
   -- Whether a message named it (an unnamed file goes after media_unreferenced_secs).
   referenced BOOLEAN NOT NULL DEFAULT FALSE
);
