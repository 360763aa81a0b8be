//! Searching this user's groups and their members (`TIMGroupSearchGroups`,
//! `TIMGroupSearchGroupMembers`): over what the server lists of them, matched here. A field
//! matches when it contains any of the keywords, ignoring case.

use opentim_model::codes;
use opentim_model::config::GroupMemberGetInfoOption;
use opentim_model::group::{
    GroupDetailInfo, GroupGetMemberInfoListParam, GroupMemberSearchParam,
    GroupSearchGroupMembersdResult, GroupSearchParam,
};

use super::Client;
use crate::error::{Result, SdkError};

/// Most keywords of one search.
const MAX_KEYWORDS: usize = 5;
/// Most groups one `TIMGroupGetGroupInfoList` call of the server takes.
const INFO_BATCH: usize = 50;

/// `TIMGroupSearchFieldKey` bits.
const GROUP_ID: u32 = 1;
const GROUP_NAME: u32 = 2;
/// `TIMGroupMemberSearchFieldKey` bits.
const MEMBER_ID: u32 = 1;
const MEMBER_NAME_CARD: u32 = 8;

/// The keywords of a search, lower-cased: 1 to 5, none empty.
fn keywords(list: Option<&Vec<String>>) -> Result<Vec<String>> {
    let list = list.map(Vec::as_slice).unwrap_or_default();
    if list.is_empty() || list.len() > MAX_KEYWORDS || list.iter().any(String::is_empty) {
        return Err(SdkError::new(
            codes::ERR_INVALID_PARAMETERS,
            format!("a search takes 1 to {MAX_KEYWORDS} keywords, none empty"),
        ));
    }
    Ok(list.iter().map(|k| k.to_lowercase()).collect())
}

/// The OR of the field bits (`all` when none are given).
fn fields(list: Option<&Vec<u32>>, all: u32) -> u32 {
    match list.map(|l| l.iter().fold(0, |a, f| a | f)) {
        Some(0) | None => all,
        Some(bits) => bits,
    }
}

fn contains_any(text: Option<&str>, keywords: &[String]) -> bool {
    let text = text.unwrap_or_default().to_lowercase();
    keywords.iter().any(|k| text.contains(k.as_str()))
}

impl Client {
    /// The groups of this user whose id or name (as `group_search_params_field_list` says;
    /// both when empty) contains a keyword: their profiles.
    pub async fn search_groups(&self, param: &GroupSearchParam) -> Result<Vec<GroupDetailInfo>> {
        let words = keywords(param.keyword_list.as_ref())?;
        let bits = fields(param.field_list.as_ref(), GROUP_ID | GROUP_NAME);
        let ids: Vec<String> = self
            .joined_groups()
            .await?
            .into_iter()
            .filter(|g| {
                (bits & GROUP_ID != 0 && contains_any(g.group_id.as_deref(), &words))
                    || (bits & GROUP_NAME != 0 && contains_any(g.group_name.as_deref(), &words))
            })
            .filter_map(|g| g.group_id)
            .collect();
        let mut out = Vec::with_capacity(ids.len());
        for batch in ids.chunks(INFO_BATCH) {
            for r in self.group_info(batch).await? {
                if r.code == Some(0) {
                    out.extend(r.info);
                }
            }
        }
        Ok(out)
    }

    /// The members of this user's groups (those named, or all) whose id or name card (as
    /// `group_search_member_params_field_list` says; both when empty) contains a keyword, per
    /// group. Nicknames and remarks are not matched: they belong to user profiles.
    pub async fn search_group_members(
        &self,
        param: &GroupMemberSearchParam,
    ) -> Result<Vec<GroupSearchGroupMembersdResult>> {
        let words = keywords(param.keyword_list.as_ref())?;
        let bits = fields(param.field_list.as_ref(), MEMBER_ID | MEMBER_NAME_CARD);
        let groups = match param.groupid_list.clone().filter(|l| !l.is_empty()) {
            Some(list) => list,
            None => self
                .joined_groups()
                .await?
                .into_iter()
                .filter_map(|g| g.group_id)
                .collect(),
        };
        let mut out = Vec::new();
        for group in groups {
            let mut found = Vec::new();
            let mut next = 0;
            loop {
                let page = self
                    .group_members(&GroupGetMemberInfoListParam {
                        group_id: Some(group.clone()),
                        next_seq: Some(next),
                        option: Some(GroupMemberGetInfoOption::default()),
                        ..Default::default()
                    })
                    .await?;
                found.extend(page.info_array.unwrap_or_default().into_iter().filter(|m| {
                    (bits & MEMBER_ID != 0 && contains_any(m.identifier.as_deref(), &words))
                        || (bits & MEMBER_NAME_CARD != 0
                            && contains_any(m.name_card.as_deref(), &words))
                }));
                next = page.next_seq.unwrap_or(0);
                if next == 0 {
                    break;
                }
            }
            if !found.is_empty() {
                out.push(GroupSearchGroupMembersdResult {
                    group_id: Some(group),
                    member_info_list: Some(found),
                });
            }
        }
        Ok(out)
    }
}
