-- 11: group attributes (TIMGroupSetGroupAttributes ...): a small key/value set per group,
-- changed as a whole under the group's lock and pushed to the members online.
CREATE TABLE group_attributes (
   group_id TEXT NOT NULL,
   attr_key TEXT NOT NULL,
   value    TEXT NOT NULL,
   PRIMARY KEY (group_id, attr_key)
);
