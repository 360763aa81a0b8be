-- 6: how each user receives C2C messages from a peer (kTIMRecvMsgOpt_*: 0 receive, 1 do not
-- receive, 2 receive without notification); no row means 0.
CREATE TABLE receive_opts (
   owner TEXT   NOT NULL,
   peer  TEXT   NOT NULL,
   opt   BIGINT NOT NULL,
   PRIMARY KEY (owner, peer)
);
