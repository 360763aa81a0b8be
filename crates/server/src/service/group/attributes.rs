//! A group's attributes (`TIMGroupInitGroupAttributes`, `…Set…`, `…Delete…`, `…Get…`): a
//! small key/value set any member may change, pushed whole to the members online with every
//! change; and how many members are online (`TIMGroupGetOnlineMemberCount`).

use opentim_model::codes;
use opentim_model::group::GroupAttributes;
use opentim_model::ids::{GroupId, UserId};
use opentim_protocol::op::group::{AttributesChange, AttributesMode, AttributesRequest};
use opentim_protocol::{Event, GroupAttributesChanged};

use super::rules::{Op, Role};
use super::stream::topic;
use super::GroupService;
use crate::delivery::SessionId;
use crate::error::{Error, Result};
use crate::store::{AttrChange, AttrLimits, AttrOutcome, GroupRow};

fn invalid(desc: impl Into<String>) -> Error {
    Error::refused(codes::ERR_SVR_GROUP_INVALID_PARAMETERS, desc)
}

fn to_api(set: Vec<(String, String)>) -> Vec<GroupAttributes> {
    set.into_iter()
        .map(|(k, v)| GroupAttributes {
            key: Some(k),
            value: Some(v),
        })
        .collect()
}

impl GroupService {
    /// The group and the caller's role, where a connection that entered an AVChatRoom counts
    /// as a member of it.
    async fn group_and_role_here(
        &self,
        user: &UserId,
        session: Option<SessionId>,
        id: &str,
    ) -> Result<(GroupRow, Role)> {
        let found = super::find(
            &*self.store,
            &self.delivery,
            &self.config,
            user,
            session,
            id,
        )
        .await?;
        Ok((found.group, found.role))
    }

    /// Change a group's attributes and tell the members online the new set.
    pub async fn change_attributes(
        &self,
        user: &UserId,
        session: Option<SessionId>,
        req: AttributesChange,
    ) -> Result<()> {
        let (group, role) = self
            .group_and_role_here(user, session, &req.group_id)
            .await?;
        Self::check(Op::SetAttributes, role, group.group_type)?;
        let c = &self.config;
        let check_key = |k: &str| -> Result<()> {
            match k.is_empty() || k.len() > c.max_group_attribute_key_bytes {
                true => Err(invalid(format!(
                    "attribute key {k:?}: 1 to {} bytes (max_group_attribute_key_bytes)",
                    c.max_group_attribute_key_bytes
                ))),
                false => Ok(()),
            }
        };
        let pairs = || -> Result<Vec<(String, String)>> {
            req.attributes
                .iter()
                .map(|a| {
                    let (k, v) = (
                        a.key.clone().unwrap_or_default(),
                        a.value.clone().unwrap_or_default(),
                    );
                    check_key(&k)?;
                    if v.len() > c.max_group_attribute_value_bytes {
                        return Err(invalid(format!(
                            "attribute {k:?} is {} bytes; the limit is {} \
                             (max_group_attribute_value_bytes)",
                            v.len(),
                            c.max_group_attribute_value_bytes
                        )));
                    }
                    Ok((k, v))
                })
                .collect()
        };
        let change = match req.mode {
            AttributesMode::Init => AttrChange::Replace(pairs()?),
            AttributesMode::Set if req.attributes.is_empty() => {
                return Err(invalid("no attributes to set"))
            }
            AttributesMode::Set => AttrChange::Set(pairs()?),
            AttributesMode::Delete if req.keys.is_empty() => {
                return Err(invalid("no attribute keys to delete"))
            }
            AttributesMode::Delete => {
                for k in &req.keys {
                    check_key(k)?;
                }
                AttrChange::Delete(req.keys.clone())
            }
        };
        let limits = AttrLimits {
            max_count: c.max_group_attributes,
            max_bytes: c.max_group_attributes_bytes,
        };
        let outcome = self
            .store
            .change_attributes(&group.id, change, limits)
            .await
            .map_err(Error::internal("change the attributes"))?
            .ok_or_else(|| Error::refused(codes::ERR_SVR_GROUP_NOT_FOUND, "the group is gone"))?;
        let set = match outcome {
            AttrOutcome::Changed(set) => set,
            AttrOutcome::OverLimit(why) => return Err(invalid(why)),
        };
        if let Some(t) = topic(&group.id) {
            let change = GroupAttributesChanged {
                group_id: group.id.clone(),
                attributes: to_api(set),
            };
            self.delivery
                .publish_with(&t, None, || Event::GroupAttributes(Box::new(change)))
                .await;
        }
        Ok(())
    }

    /// A group's attributes: those of `keys`, or all.
    pub async fn attributes(
        &self,
        user: &UserId,
        session: Option<SessionId>,
        req: AttributesRequest,
    ) -> Result<Vec<GroupAttributes>> {
        let (group, role) = self
            .group_and_role_here(user, session, &req.group_id)
            .await?;
        Self::check(Op::Read, role, group.group_type)?;
        let mut set = self
            .store
            .attributes(&group.id)
            .await
            .map_err(Error::internal("read the attributes"))?;
        if !req.keys.is_empty() {
            set.retain(|(k, _)| req.keys.contains(k));
        }
        Ok(to_api(set))
    }

    /// How many connections are in the group now (its members online; for an AVChatRoom,
    /// everyone in the room), on every node.
    pub async fn online_count(
        &self,
        user: &UserId,
        session: Option<SessionId>,
        id: &str,
    ) -> Result<u64> {
        let (group, role) = self.group_and_role_here(user, session, id).await?;
        Self::check(Op::Read, role, group.group_type)?;
        let id = GroupId::parse_unbounded(&group.id)
            .map_err(|e| Error::refused(codes::ERR_SVR_GROUP_INVALID_GROUPID, e.to_string()))?;
        Ok(self.delivery.online_count(&id).await)
    }
}
