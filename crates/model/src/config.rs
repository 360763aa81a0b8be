//! Initialisation and configuration objects (`TIMInit`, `TIMSetConfig`).

use crate::enums::LogLevel;

json_struct! {
    /// `json_sdk_config` of `TIMInit` (`SdkConfig`).
    pub struct SdkConfig {
        /// Directory for the SDK's local data (default "/").
        config_file_path: String = ("kTIMSdkConfigConfigFilePath", "sdk_config_config_file_path"),
        /// Directory for log files (default "/").
        log_file_path: String = ("kTIMSdkConfigLogFilePath", "sdk_config_log_file_path"),
        /// Android only: the JavaVM pointer as an integer.
        java_vm: u64 = ("kTIMSdkConfigJavaVM", "sdk_config_java_vm"),
        /// **opentim extension** (decision 9): address of the opentim server to connect to,
        /// e.g. `"ws://127.0.0.1:8080"`. The Tencent API has no key for it because the hosted
        /// service's address is built in. Not a C header key, so it has no constant name.
        opentim_server_address: String = ("", "opentim_server_address"),
        /// **opentim extension**: a PEM file of extra CA certificates to trust for `wss://`
        /// servers, besides the system's (for a self-signed deployment).
        opentim_tls_ca_file: String = ("", "opentim_tls_ca_file"),
        /// **opentim extension**: seconds a message may wait for the server's acknowledgement,
        /// reconnects and outages included, before its callback reports it failed (9520,
        /// ERR_SDK_NET_WAIT_ACK_TIMEOUT). Default 60.
        opentim_send_timeout_secs: u64 = ("", "opentim_send_timeout_secs"),
    }
}

impl SdkConfig {
    /// Fills the documented keys with their defaults ("/" for both paths, 0 for the JavaVM).
    /// The `opentim_` extensions are left as they are: they are not part of the documented key
    /// set.
    pub fn complete(mut self) -> Self {
        fill!(self; config_file_path = "/".to_owned(), log_file_path = "/".to_owned(), java_vm);
        self
    }
}

json_struct! {
    /// Early (4.2.x) proxy object (`ProxyInfo`), replaced by HTTP/SOCKS5 proxies in 4.3.135.
    pub struct ProxyInfo {
        ip: String = ("kTIMProxyInfoIp", "proxy_info_ip"),
        port: i32 = ("kTIMProxyInfoPort", "proxy_info_port"),
    }
}

impl ProxyInfo {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; ip, port);
        self
    }
}

json_struct! {
    /// HTTP proxy for file transfer (`HttpProxyInfo`); empty ip and port 0 clear it.
    pub struct HttpProxyInfo {
        ip: String = ("kTIMHttpProxyInfoIp", "http_proxy_info_ip"),
        port: i32 = ("kTIMHttpProxyInfoPort", "http_proxy_info_port"),
        username: String = ("kTIMHttpProxyInfoUserName", "http_proxy_info_username"),
        password: String = ("kTIMHttpProxyInfoPassword", "http_proxy_info_password"),
    }
}

impl HttpProxyInfo {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; ip, port, username, password);
        self
    }
}

json_struct! {
    /// SOCKS5 proxy for all protocol traffic (`Socks5ProxyInfo`).
    pub struct Socks5ProxyInfo {
        ip: String = ("kTIMSocks5ProxyInfoIp", "socks5_proxy_info_ip"),
        port: i32 = ("kTIMSocks5ProxyInfoPort", "socks5_proxy_info_port"),
        username: String = ("kTIMSocks5ProxyInfoUserName", "socks5_proxy_info_username"),
        password: String = ("kTIMSocks5ProxyInfoPassword", "socks5_proxy_info_password"),
    }
}

impl Socks5ProxyInfo {
    /// Fills every absent key with its default.
    pub fn complete(mut self) -> Self {
        fill!(self; ip, port, username, password);
        self
    }
}

json_struct! {
    /// Default options for fetching group info (`GroupGetInfoOption`).
    pub struct GroupGetInfoOption {
        /// Bit mask of `TIMGroupGetInfoFlag` (default 0xffffffff, all fields). Also read under
        /// the SDK's own answer's name (see [`GetInfoOption`]).
        #[serde(alias = "get_info_option_info_flag")]
        info_flag: u64 = ("kTIMGroupGetInfoOptionInfoFlag", "group_get_info_option_info_flag"),
        #[serde(alias = "get_info_option_custom_array")]
        custom_array: Vec<String> = ("kTIMGroupGetInfoOptionCustomArray", "group_get_info_option_custom_array"),
    }
}

impl GroupGetInfoOption {
    /// Fills every absent key with its documented default (all fields, no custom fields).
    pub fn complete(mut self) -> Self {
        fill!(self; info_flag = 0xffff_ffff, custom_array);
        self
    }
}

json_struct! {
    /// Default options for fetching group members (`GroupMemberGetInfoOption`).
    pub struct GroupMemberGetInfoOption {
        /// Bit mask of `TIMGroupMemberInfoFlag` (default 0xffffffff, all fields). Also read under
        /// the SDK's own answer's names (see [`GetInfoOption`]), as are the other two.
        #[serde(alias = "get_info_option_info_flag")]
        info_flag: u64 = ("kTIMGroupMemberGetInfoOptionInfoFlag", "group_member_get_info_option_info_flag"),
        /// Bit mask of `TIMGroupMemberRoleFlag` (default 0, all roles).
        #[serde(alias = "get_info_option_role_flag")]
        role_flag: u64 = ("kTIMGroupMemberGetInfoOptionRoleFlag", "group_member_get_info_option_role_flag"),
        #[serde(alias = "get_info_option_custom_array")]
        custom_array: Vec<String> = ("kTIMGroupMemberGetInfoOptionCustomArray", "group_member_get_info_option_custom_array"),
    }
}

impl GroupMemberGetInfoOption {
    /// Fills every absent key with its documented default.
    pub fn complete(mut self) -> Self {
        fill!(self; info_flag = 0xffff_ffff, role_flag, custom_array);
        self
    }
}

json_struct! {
    /// Per-user behaviour switches (`UserConfig`).
    pub struct UserConfig {
        is_read_receipt: bool = ("kTIMUserConfigIsReadReceipt", "user_config_is_read_receipt"),
        is_sync_report: bool = ("kTIMUserConfigIsSyncReport", "user_config_is_sync_report"),
        /// Key spelled "ingore" by the SDK.
        is_ignore_grouptips_unread: bool = ("kTIMUserConfigIsIngoreGroupTipsUnRead", "user_config_is_ingore_grouptips_unread"),
        /// Key spelled "is_is" by the SDK.
        is_disable_storage: bool = ("kTIMUserConfigIsDisableStorage", "user_config_is_is_disable_storage"),
        group_getinfo_option: GroupGetInfoOption = ("kTIMUserConfigGroupGetInfoOption", "user_config_group_getinfo_option"),
        group_member_getinfo_option: GroupMemberGetInfoOption = ("kTIMUserConfigGroupMemberGetInfoOption", "user_config_group_member_getinfo_option"),
    }
}

impl UserConfig {
    /// Fills every absent key with its default, completing the option objects.
    pub fn complete(mut self) -> Self {
        fill!(self; is_read_receipt, is_sync_report, is_ignore_grouptips_unread,
            is_disable_storage, group_getinfo_option => GroupGetInfoOption::complete,
            group_member_getinfo_option => GroupMemberGetInfoOption::complete);
        self
    }
}

json_struct! {
    /// `json_config` of `TIMSetConfig` (`SetConfig`).
    pub struct SetConfig {
        log_level: LogLevel = ("kTIMSetConfigLogLevel", "set_config_log_level"),
        callback_log_level: LogLevel = ("kTIMSetConfigCackBackLogLevel", "set_config_callback_log_level"),
        is_log_output_console: bool = ("kTIMSetConfigIsLogOutputConsole", "set_config_is_log_output_console"),
        user_config: UserConfig = ("kTIMSetConfigUserConfig", "set_config_user_config"),
        user_define_data: String = ("kTIMSetConfigUserDefineData", "set_config_user_define_data"),
        http_proxy_info: HttpProxyInfo = ("kTIMSetConfigHttpProxyInfo", "set_config_http_proxy_info"),
        socks5_proxy_info: Socks5ProxyInfo = ("kTIMSetConfigSocks5ProxyInfo", "set_config_socks5_proxy_info"),
        is_only_local_dns_source: bool = ("kTIMSetConfigIsOnlyLocalDNSSource", "set_config_is_only_local_dns_source"),
        /// Early (4.2.x) key, removed in 4.3.135 but present in the seed's example: read and
        /// written back when present, never added by [`SetConfig::complete`].
        proxy_info: ProxyInfo = ("kTIMSetConfigProxyInfo", "set_config_proxy_info"),
    }
}

impl SetConfig {
    /// Fills every absent current key with its default (`set_config_is_log_output_console`:
    /// true), completing nested objects; the removed `set_config_proxy_info` is completed
    /// only when present.
    pub fn complete(mut self) -> Self {
        fill!(self; log_level, callback_log_level, is_log_output_console = true,
            user_config => UserConfig::complete, user_define_data,
            http_proxy_info => HttpProxyInfo::complete,
            socks5_proxy_info => Socks5ProxyInfo::complete, is_only_local_dns_source);
        self.proxy_info = self.proxy_info.map(ProxyInfo::complete);
        self
    }
}

/// A group (member) info option as `TIMSetConfig`'s answer spells it: the SDK answers with
/// `get_info_option_*` keys, not the `group_get_info_option_*` / `group_member_get_info_option_*`
/// keys of the input objects (both are accepted on input).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GetInfoOption {
    pub get_info_option_custom_array: Vec<String>,
    pub get_info_option_info_flag: u64,
    pub get_info_option_role_flag: u64,
}

/// The `user_config` part of [`SetConfigAnswer`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct UserConfigAnswer {
    pub user_config_group_getinfo_option: GetInfoOption,
    pub user_config_group_member_getinfo_option: GetInfoOption,
    /// "ingore": the SDK's spelling.
    pub user_config_is_ingore_grouptips_unread: bool,
    pub user_config_is_read_receipt: bool,
    pub user_config_is_sync_report: bool,
}

/// What `TIMSetConfig`'s callback carries: the key set of the SDK's own answer (log levels,
/// console output, the early proxy object, the user config), filled from the current settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SetConfigAnswer {
    pub set_config_callback_log_level: LogLevel,
    pub set_config_is_log_output_console: bool,
    pub set_config_log_level: LogLevel,
    pub set_config_proxy_info: ProxyInfo,
    pub set_config_user_config: UserConfigAnswer,
}

impl SetConfig {
    /// The answer for this configuration (completed with the defaults first).
    pub fn answer(&self) -> SetConfigAnswer {
        let c = self.clone().complete();
        let user = c.user_config.unwrap_or_default().complete();
        let group = user.group_getinfo_option.unwrap_or_default();
        let member = user.group_member_getinfo_option.unwrap_or_default();
        SetConfigAnswer {
            set_config_callback_log_level: c.callback_log_level.unwrap_or_default(),
            set_config_is_log_output_console: c.is_log_output_console.unwrap_or(true),
            set_config_log_level: c.log_level.unwrap_or_default(),
            set_config_proxy_info: c.proxy_info.unwrap_or_default().complete(),
            set_config_user_config: UserConfigAnswer {
                user_config_group_getinfo_option: GetInfoOption {
                    get_info_option_custom_array: group.custom_array.unwrap_or_default(),
                    get_info_option_info_flag: group.info_flag.unwrap_or(0xffff_ffff),
                    // The group-info option has no role filter: 0, all roles.
                    get_info_option_role_flag: 0,
                },
                user_config_group_member_getinfo_option: GetInfoOption {
                    get_info_option_custom_array: member.custom_array.unwrap_or_default(),
                    get_info_option_info_flag: member.info_flag.unwrap_or(0xffff_ffff),
                    get_info_option_role_flag: member.role_flag.unwrap_or(0),
                },
                user_config_is_ingore_grouptips_unread: user
                    .is_ignore_grouptips_unread
                    .unwrap_or(false),
                user_config_is_read_receipt: user.is_read_receipt.unwrap_or(false),
                user_config_is_sync_report: user.is_sync_report.unwrap_or(false),
            },
        }
    }
}
