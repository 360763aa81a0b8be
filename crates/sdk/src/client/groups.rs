//! Groups: create, dismiss, join, leave, change, decide requests and invitations, and read
//! profiles and memberships. The server decides who may do what; its code and text come back
//! as the error.

use opentim_model::enums::GroupReceiveMessageOpt;
use opentim_model::group::GroupAttributes;
use opentim_model::group::{
    CreateGroupParam, CreateGroupResult, GetGroupInfoResult, GroupBaseInfo, GroupDeleteMemberParam,
    GroupDeleteMemberResult, GroupGetMemberInfoListParam, GroupGetMemberInfoListResult,
    GroupHandlePendencyParam, GroupInviteMemberParam, GroupInviteMemberResult,
    GroupModifyInfoParam, GroupModifyMemberInfoParam, GroupPendencyOption, GroupPendencyResult,
};
use opentim_protocol::op::group::{
    AttributesChange, AttributesMode, AttributesRequest, ChangeGroupAttributes, CreateGroup,
    DismissGroup, GetGroupAttributes, GroupInfo, GroupInfoRequest, GroupMembers, GroupRequest,
    HandlePendency, InviteMembers, JoinGroup, JoinGroupRequest, JoinedGroups, KickMembers,
    ModifyGroup, ModifyMember, OnlineMemberCount, Pendencies, PendenciesRead,
    PendenciesReadRequest, QuitGroup,
};
use opentim_protocol::op::Empty;

use super::Client;
use crate::connection::Command;
use crate::error::Result;

/// `kTIMGroupMemberModifyFlag_MsgFlag`.
const MSG_FLAG: i64 = 0x1;

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

    /// Leave a group, or a broadcast room this session entered (`TIMGroupQuit`).
    pub async fn quit_group(&self, group_id: &str) -> Result<()> {
        let request = GroupRequest {
            group_id: group_id.to_owned(),
        };
        self.call::<QuitGroup>(&request).await?;
        self.room(group_id, false);
        Ok(())
    }

    /// Tell the connection this session entered or left a broadcast room.
    fn room(&self, group_id: &str, entered: bool) {
        if let Ok(commands) = self.slot(|s| s.commands.clone()) {
            let _ = commands.send(Command::Room {
                group_id: group_id.to_owned(),
                entered,
            });
        }
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

    /// Join a group, or ask its owner and admins to be let in (`TIMGroupJoin`): `hello_msg`
    /// is shown to them. A broadcast room (AVChatRoom) is entered by this session, and again
    /// after every reconnect, until it quits.
    pub async fn join_group(&self, group_id: &str, hello_msg: &str) -> Result<()> {
        let request = JoinGroupRequest {
            group_id: group_id.to_owned(),
            hello_msg: hello_msg.to_owned(),
        };
        if self.call::<JoinGroup>(&request).await?.session_only {
            self.room(group_id, true);
        }
        Ok(())
    }

    /// Change a group's profile, mute-all or owner (`TIMGroupModifyGroupInfo`).
    pub async fn modify_group(&self, param: &GroupModifyInfoParam) -> Result<()> {
        self.call::<ModifyGroup>(param).await.map(drop)
    }

    /// Change one membership: role, mute, name card, custom fields, message option
    /// (`TIMGroupModifyMemberInfo`).
    pub async fn modify_member(&self, param: &GroupModifyMemberInfoParam) -> Result<()> {
        self.call::<ModifyMember>(param).await.map(drop)
    }

    /// The requests to join and invitations this user decides (`TIMGroupGetPendencyList`).
    pub async fn group_pendencies(
        &self,
        option: &GroupPendencyOption,
    ) -> Result<GroupPendencyResult> {
        self.call::<Pendencies>(option).await
    }

    /// Mark this user's pendencies seen up to `time_stamp` (`TIMGroupReportPendencyReaded`).
    pub async fn group_pendencies_read(&self, time_stamp: u64) -> Result<()> {
        let request = PendenciesReadRequest { time_stamp };
        self.call::<PendenciesRead>(&request).await.map(drop)
    }

    /// Accept or refuse a request or invitation (`TIMGroupHandlePendency`).
    pub async fn handle_group_pendency(&self, param: &GroupHandlePendencyParam) -> Result<()> {
        self.call::<HandlePendency>(param).await.map(drop)
    }

    /// Change a group's attributes (`TIMGroupInitGroupAttributes`: replace them all,
    /// `…Set…`: add or overwrite, `…Delete…`: remove keys); the members online are told the
    /// new set.
    pub async fn change_group_attributes(
        &self,
        group_id: &str,
        mode: AttributesMode,
        attributes: Vec<GroupAttributes>,
        keys: Vec<String>,
    ) -> Result<()> {
        let request = AttributesChange {
            group_id: group_id.to_owned(),
            mode,
            attributes,
            keys,
        };
        self.call::<ChangeGroupAttributes>(&request).await.map(drop)
    }

    /// A group's attributes: those of `keys`, or all (`TIMGroupGetGroupAttributes`).
    pub async fn group_attributes(
        &self,
        group_id: &str,
        keys: &[String],
    ) -> Result<Vec<GroupAttributes>> {
        let request = AttributesRequest {
            group_id: group_id.to_owned(),
            keys: keys.to_vec(),
        };
        Ok(self.call::<GetGroupAttributes>(&request).await?.attributes)
    }

    /// How many of a group's members (an AVChatRoom: of those in the room) are online, on
    /// every node (`TIMGroupGetOnlineMemberCount`).
    pub async fn online_member_count(&self, group_id: &str) -> Result<u64> {
        let request = GroupRequest {
            group_id: group_id.to_owned(),
        };
        Ok(self
            .call::<OnlineMemberCount>(&request)
            .await?
            .count
            .unwrap_or(0))
    }

    /// Set how this user receives a group's messages (`TIMMsgSetGroupReceiveMessageOpt`):
    /// the member's message option, read back in `GroupBaseInfo`.
    pub async fn set_group_receive_opt(
        &self,
        group_id: &str,
        opt: GroupReceiveMessageOpt,
    ) -> Result<()> {
        let user = self.slot(|s| s.user.clone())?;
        let param = GroupModifyMemberInfoParam {
            group_id: Some(group_id.to_owned()),
            identifier: Some(user),
            modify_flag: Some(MSG_FLAG),
            msg_flag: Some(opt),
            ..Default::default()
        };
        self.modify_member(&param).await
    }
}
