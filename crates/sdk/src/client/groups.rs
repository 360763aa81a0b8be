//! Groups: create, dismiss, leave, and read profiles and memberships. The server decides who
//! may do what; its code and text come back as the error.

use opentim_model::group::{
    CreateGroupParam, CreateGroupResult, GetGroupInfoResult, GroupBaseInfo, GroupDeleteMemberParam,
    GroupDeleteMemberResult, GroupGetMemberInfoListParam, GroupGetMemberInfoListResult,
    GroupInviteMemberParam, GroupInviteMemberResult,
};
use opentim_protocol::op::group::{
    CreateGroup, DismissGroup, GroupInfo, GroupInfoRequest, GroupMembers, GroupRequest,
    InviteMembers, JoinedGroups, KickMembers, QuitGroup,
};
use opentim_protocol::op::Empty;

use super::Client;
use crate::error::Result;

impl Client {
    /// Create a group owned by this user (`TIMGroupCreate`): its id, the one given or the
    /// server's.
    pub async fn create_group(&self, param: &CreateGroupParam) -> Result<CreateGroupResult> {
        self.call::<CreateGroup>(param).await
    }

    /// Dismiss a group (`TIMGroupDelete`).
    pub async fn dismiss_group(&self, group_id: &str) -> Result<()> {
        let request = GroupRequest {
            group_id: group_id.to_owned(),
        };
        self.call::<DismissGroup>(&request).await.map(drop)
    }

    /// Leave a group (`TIMGroupQuit`).
    pub async fn quit_group(&self, group_id: &str) -> Result<()> {
        let request = GroupRequest {
            group_id: group_id.to_owned(),
        };
        self.call::<QuitGroup>(&request).await.map(drop)
    }

    /// The groups this user is a member of (`TIMGroupGetJoinedGroupList`).
    pub async fn joined_groups(&self) -> Result<Vec<GroupBaseInfo>> {
        Ok(self.call::<JoinedGroups>(&Empty {}).await?.groups)
    }

    /// The profiles of groups, one result each (`TIMGroupGetGroupInfoList`).
    pub async fn group_info(&self, group_ids: &[String]) -> Result<Vec<GetGroupInfoResult>> {
        let request = GroupInfoRequest {
            group_ids: group_ids.to_vec(),
        };
        Ok(self.call::<GroupInfo>(&request).await?.results)
    }

    /// Add users to a group (`TIMGroupInviteMember`): one result per user.
    pub async fn invite_members(
        &self,
        param: &GroupInviteMemberParam,
    ) -> Result<Vec<GroupInviteMemberResult>> {
        Ok(self.call::<InviteMembers>(param).await?.results)
    }

    /// Remove members from a group (`TIMGroupDeleteMember`): one result per user.
    pub async fn kick_members(
        &self,
        param: &GroupDeleteMemberParam,
    ) -> Result<Vec<GroupDeleteMemberResult>> {
        Ok(self.call::<KickMembers>(param).await?.results)
    }

    /// Members of a group (`TIMGroupGetMemberInfoList`).
    pub async fn group_members(
        &self,
        param: &GroupGetMemberInfoListParam,
    ) -> Result<GroupGetMemberInfoListResult> {
        self.call::<GroupMembers>(param).await
    }
}
