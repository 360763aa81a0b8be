//! The public C headers agree with the Rust tables and with the built library.
//!
//! * every enum member (and its value) of `TIMCloudDef.h` is in `opentim_model::tables::ENUMS`
//!   (`TIMErrCode`: `tables::ERROR_CODES`) and vice versa, in the same order;
//! * every `#define kTIM...` key macro equals `tables::JSON_KEYS`, both ways;
//! * the `MEMBERS` of every enum newtype of `opentim_model::enums` equal the header enum named by
//!   its `C_NAME`;
//! * the `TIM*` symbols exported by the built `libImSDK.so` are exactly the functions declared
//!   `TIM_DECL` in the headers. This needs the library to be built first
//!   (`cargo build -p opentim-capi`); it is looked up in `$CARGO_TARGET_DIR` (default
//!   `<workspace>/target`), `debug/` then `release/` (then the profile directory of this test
//!   binary), and fails, never skips, when it is missing.
//!
//! The headers are parsed with plain string processing: comments are removed (outside string
//! literals), then `enum NAME { A = 1, B, ... };` blocks, `#define kTIM... "..."` lines and
//! `TIM_DECL <type> NAME(` declarations are read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use opentim_model::enums::*;
use opentim_model::tables;

const HEADERS: &[&str] = &[
    "TIMCloud.h",
    "TIMCloudDef.h",
    "TIMCloudCallback.h",
    "TIMCloudComm.h",
];

fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include")
}

fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace directory")
}

fn read_header(name: &str) -> String {
    let path = include_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Removes `/* */` and `//` comments, keeping string and character literals intact. A comment
/// becomes one space; newlines inside block comments are kept so line structure survives.
fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\\' {
                        if let Some(e) = chars.next() {
                            out.push(e);
                        }
                    } else if d == c || d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = '\0';
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                    }
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Parses a C integer constant expression of the forms used in the header: decimal, hex,
/// optionally negative, optionally with integer suffixes (u, l).
fn parse_c_int(text: &str) -> i64 {
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim()),
        None => (false, t),
    };
    let body = body.trim_end_matches(['u', 'U', 'l', 'L']);
    let value = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16)
    } else {
        body.parse::<i64>()
    }
    .unwrap_or_else(|e| panic!("cannot parse enum value {text:?}: {e}"));
    if neg {
        -value
    } else {
        value
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

type EnumMap = BTreeMap<String, Vec<(String, i64)>>;

/// Every `enum NAME { ... };` of the (comment-free) source, members in header order.
fn parse_enums(src: &str) -> EnumMap {
    let mut enums = EnumMap::new();
    let mut rest = src;
    while let Some(pos) = rest.find("enum") {
        let before_ok = pos == 0 || !is_ident_char(rest[..pos].chars().next_back().unwrap());
        let after = &rest[pos + 4..];
        let after_ok = after.chars().next().is_some_and(|c| c.is_whitespace());
        if !(before_ok && after_ok) {
            rest = &rest[pos + 4..];
            continue;
        }
        let trimmed = after.trim_start();
        let name: String = trimmed.chars().take_while(|&c| is_ident_char(c)).collect();
        let after_name = trimmed[name.len()..].trim_start();
        if name.is_empty() || !after_name.starts_with('{') {
            // `enum X x` used as a type (e.g. in a prototype), not a definition.
            rest = after;
            continue;
        }
        let body_end = after_name
            .find('}')
            .unwrap_or_else(|| panic!("enum {name}: no closing brace"));
        let body = &after_name[1..body_end];
        let mut members = Vec::new();
        let mut next = 0i64;
        for item in body.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let (member, value) = match item.split_once('=') {
                Some((m, v)) => (m.trim().to_string(), parse_c_int(v)),
                None => (item.to_string(), next),
            };
            assert!(
                !member.is_empty() && member.chars().all(is_ident_char),
                "enum {name}: cannot parse member {item:?}"
            );
            next = value + 1;
            members.push((member, value));
        }
        assert!(
            enums.insert(name.clone(), members).is_none(),
            "enum {name} defined twice"
        );
        rest = &after_name[body_end..];
    }
    enums
}

/// Every `#define kTIM<Name> "<key>"` of the (comment-free) source, in header order.
fn parse_key_defines(src: &str) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for line in src.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("define") else {
            continue;
        };
        let rest = rest.trim();
        // Key macros are `kTIM…`; a few later ones are spelled `TIM…` (always a string).
        if !rest.starts_with("kTIM") && !rest.starts_with("TIM") {
            continue;
        }
        let name: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
        let value = rest[name.len()..].trim();
        if !name.starts_with('k') && !value.starts_with('"') {
            continue;
        }
        assert!(
            value.len() >= 2
                && value.starts_with('"')
                && value.ends_with('"')
                && !value[1..value.len() - 1].contains('"'),
            "#define {name} is not a single string literal: {value:?}"
        );
        let key = &value[1..value.len() - 1];
        assert!(
            !key.contains('\\'),
            "#define {name}: escapes in key {key:?} not expected"
        );
        keys.push((name, key.to_string()));
    }
    keys
}

/// Whether `name` is a function of the C API: `TIM…`, and the one the header spells with a
/// lower-case c, `callExperimentalAPI`.
fn is_api_name(name: &str) -> bool {
    name.starts_with("TIM") || name == "callExperimentalAPI"
}

/// Names of the functions declared `TIM_DECL` (preprocessor lines excluded).
fn parse_decl_functions(src: &str) -> BTreeSet<String> {
    let code: String = src
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut names = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(pos) = rest.find("TIM_DECL") {
        let after = &rest[pos + "TIM_DECL".len()..];
        let paren = after.find('(').expect("TIM_DECL without a parameter list");
        let before_paren = after[..paren].trim_end();
        let name: String = before_paren
            .chars()
            .rev()
            .take_while(|&c| is_ident_char(c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        assert!(
            is_api_name(&name),
            "TIM_DECL declaration with unexpected name {name:?}: {before_paren:?}"
        );
        assert!(names.insert(name.clone()), "{name} declared TIM_DECL twice");
        rest = &after[paren..];
    }
    names
}

fn header_enums() -> EnumMap {
    let mut all = EnumMap::new();
    for h in HEADERS {
        for (name, members) in parse_enums(&strip_comments(&read_header(h))) {
            assert!(
                all.insert(name.clone(), members).is_none(),
                "enum {name} defined in two headers"
            );
        }
    }
    assert!(!all.is_empty(), "no enum found in the headers");
    all
}

fn owned(members: &[(&str, i64)]) -> Vec<(String, i64)> {
    members.iter().map(|&(m, v)| (m.to_string(), v)).collect()
}

/// Describes how two member lists differ (empty when equal).
fn diff_members(what: &str, header: &[(String, i64)], rust: &[(String, i64)]) -> Vec<String> {
    let mut problems = Vec::new();
    if header == rust {
        return problems;
    }
    let h: BTreeMap<&str, i64> = header.iter().map(|(m, v)| (m.as_str(), *v)).collect();
    let r: BTreeMap<&str, i64> = rust.iter().map(|(m, v)| (m.as_str(), *v)).collect();
    for (m, v) in &h {
        match r.get(m) {
            None => problems.push(format!(
                "{what}: {m} = {v} is in the header but not in Rust"
            )),
            Some(rv) if rv != v => {
                problems.push(format!("{what}: {m} is {v} in the header, {rv} in Rust"))
            }
            _ => {}
        }
    }
    for (m, v) in &r {
        if !h.contains_key(m) {
            problems.push(format!(
                "{what}: {m} = {v} is in Rust but not in the header"
            ));
        }
    }
    if header.len() != h.len() || rust.len() != r.len() {
        problems.push(format!("{what}: duplicate member names"));
    }
    if problems.is_empty() {
        problems.push(format!(
            "{what}: same members, different order\n  header: {:?}\n  rust:   {:?}",
            header.iter().map(|(m, _)| m).collect::<Vec<_>>(),
            rust.iter().map(|(m, _)| m).collect::<Vec<_>>()
        ));
    }
    problems
}

fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn parser_self_check() {
    let src = strip_comments(
        "/* a \"quoted\" // comment */ enum E { A = -1, B, C = 0x10 /* x */, D = 0x80000000 };\n\
         #define kTIMX \"x_key\" // trailing\n\
         #define kTIMY \"a/*b\"\n\
         TIM_DECL int TIMFoo(int a); TIM_DECL const char* TIMBar(void);\n\
         int f(enum E e);",
    );
    let enums = parse_enums(&src);
    assert_eq!(
        enums["E"],
        owned(&[("A", -1), ("B", 0), ("C", 16), ("D", 0x8000_0000)])
    );
    assert_eq!(enums.len(), 1);
    assert_eq!(
        parse_key_defines(&src),
        vec![
            ("kTIMX".to_string(), "x_key".to_string()),
            ("kTIMY".to_string(), "a/*b".to_string())
        ]
    );
    assert_eq!(
        parse_decl_functions(&src),
        ["TIMBar", "TIMFoo"].iter().map(|s| s.to_string()).collect()
    );
}

#[test]
fn enums_match_tables() {
    let header = header_enums();
    let mut problems = Vec::new();

    // TIMErrCode <-> ERROR_CODES
    match header.get("TIMErrCode") {
        None => problems.push("enum TIMErrCode not found in the headers".to_string()),
        Some(members) => {
            let rust: Vec<(String, i64)> = tables::ERROR_CODES
                .iter()
                .map(|&(m, v)| (m.to_string(), i64::from(v)))
                .collect();
            problems.extend(diff_members("TIMErrCode", members, &rust));
        }
    }

    // every other enum <-> ENUMS
    let table_names: BTreeSet<&str> = tables::ENUMS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        table_names.len(),
        tables::ENUMS.len(),
        "duplicate enum name in tables::ENUMS"
    );
    for (name, members) in &header {
        if name == "TIMErrCode" {
            continue;
        }
        match tables::ENUMS.iter().find(|(n, _)| n == name) {
            None => problems.push(format!(
                "enum {name} is in the header but not in tables::ENUMS"
            )),
            Some((_, rust)) => problems.extend(diff_members(name, members, &owned(rust))),
        }
    }
    for name in &table_names {
        if !header.contains_key(*name) {
            problems.push(format!(
                "enum {name} is in tables::ENUMS but not in the header"
            ));
        }
    }
    if table_names.contains("TIMErrCode") {
        problems.push("TIMErrCode belongs in tables::ERROR_CODES, not tables::ENUMS".to_string());
    }

    // the header's enum order is the tables' order
    let header_order: Vec<&str> = {
        let src = strip_comments(&read_header("TIMCloudDef.h"));
        let mut order = Vec::new();
        for line in src.lines() {
            let l = line.trim_start();
            if let Some(rest) = l.strip_prefix("enum ") {
                let n: String = rest.chars().take_while(|&c| is_ident_char(c)).collect();
                if let Some(known) = header.keys().find(|k| **k == n) {
                    if known != "TIMErrCode" {
                        order.push(known.as_str());
                    }
                }
            }
        }
        order
    };
    let table_order: Vec<&str> = tables::ENUMS.iter().map(|(n, _)| *n).collect();
    if problems.is_empty() && header_order != table_order {
        problems.push(format!(
            "enum order differs\n  header: {header_order:?}\n  tables: {table_order:?}"
        ));
    }
    report(problems);
}

#[test]
fn json_key_macros_match_tables() {
    let mut header_keys = Vec::new();
    for h in HEADERS {
        header_keys.extend(parse_key_defines(&strip_comments(&read_header(h))));
    }
    assert!(
        !header_keys.is_empty(),
        "no #define kTIM... found in the headers"
    );
    let mut problems = Vec::new();

    let mut seen = BTreeSet::new();
    for (name, _) in &header_keys {
        if !seen.insert(name.as_str()) {
            problems.push(format!("{name} defined twice in the headers"));
        }
    }
    let mut seen = BTreeSet::new();
    for (name, _) in tables::JSON_KEYS {
        if !seen.insert(*name) {
            problems.push(format!("{name} listed twice in tables::JSON_KEYS"));
        }
    }

    let h: BTreeMap<&str, &str> = header_keys
        .iter()
        .map(|(n, k)| (n.as_str(), k.as_str()))
        .collect();
    let r: BTreeMap<&str, &str> = tables::JSON_KEYS.iter().copied().collect();
    for (name, key) in &h {
        match r.get(name) {
            None => problems.push(format!(
                "{name} = {key:?} is in the header but not in tables::JSON_KEYS"
            )),
            Some(rk) if rk != key => problems.push(format!(
                "{name} is {key:?} in the header, {rk:?} in tables::JSON_KEYS"
            )),
            _ => {}
        }
    }
    for (name, key) in &r {
        if !h.contains_key(name) {
            problems.push(format!(
                "{name} = {key:?} is in tables::JSON_KEYS but not in the header"
            ));
        }
    }
    if problems.is_empty() {
        let header_order: Vec<&str> = header_keys.iter().map(|(n, _)| n.as_str()).collect();
        let table_order: Vec<&str> = tables::JSON_KEYS.iter().map(|(n, _)| *n).collect();
        if header_order != table_order {
            let first = header_order
                .iter()
                .zip(&table_order)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            problems.push(format!(
                "key macros are in a different order from index {first}: header {:?}, tables {:?}",
                header_order.get(first),
                table_order.get(first)
            ));
        }
    }
    report(problems);
}

/// `(C_NAME, MEMBERS)` of every enum newtype of `opentim_model::enums`, listed by hand so that a
/// type dropped from `ALL_ENUMS` is still checked.
fn rust_newtypes() -> Vec<(&'static str, &'static [(&'static str, i64)])> {
    macro_rules! list {
        ($($t:ident),* $(,)?) => { vec![ $( ($t::C_NAME, $t::MEMBERS), )* ] };
    }
    list![
        FriendshipSearchFieldKey,
        FriendshipRelationType,
        TimResult,
        LogLevel,
        NetworkStatus,
        LoginStatus,
        ReceiveMessageOpt,
        KeywordListMatchType,
        ConvEvent,
        Platform,
        ConvType,
        MsgStatus,
        MsgPriority,
        ElemType,
        ImageLevel,
        GroupTipGroupChangeFlag,
        GroupTipType,
        GroupReportType,
        DownloadType,
        GroupAddOption,
        GroupType,
        GroupMemberRole,
        HandleGroupMemberResult,
        GroupReceiveMessageOpt,
        GroupPendencyType,
        GroupPendencyHandle,
        GroupPendencyHandleResult,
        ProfileChangeType,
        FriendChangeType,
        GenderType,
        ProfileAddPermission,
        FriendType,
        FriendPendencyType,
        FriendResponseAction,
        FriendCheckRelation,
        AndroidOfflinePushNotifyMode,
        OfflinePushFlag,
        GroupSearchFieldKey,
        GroupMemberSearchFieldKey,
        GroupMessageReadMembersFilter,
    ]
}

#[test]
fn rust_enum_newtypes_match_header() {
    let header = header_enums();
    let listed = rust_newtypes();
    let mut problems = Vec::new();

    for (c_name, members) in &listed {
        match header.get(*c_name) {
            None => problems.push(format!(
                "Rust newtype with C_NAME {c_name} has no enum in the header"
            )),
            Some(h) => problems.extend(diff_members(
                &format!("{c_name} (Rust MEMBERS)"),
                h,
                &owned(members),
            )),
        }
    }

    // ALL_ENUMS lists the same types as this test.
    let listed_names: BTreeSet<&str> = listed.iter().map(|(n, _)| *n).collect();
    let all_names: BTreeSet<&str> = ALL_ENUMS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        listed_names.len(),
        listed.len(),
        "a C_NAME is used by two newtypes"
    );
    for n in all_names.difference(&listed_names) {
        problems.push(format!(
            "enums::ALL_ENUMS has {n}, which this test does not list: add it to rust_newtypes()"
        ));
    }
    for n in listed_names.difference(&all_names) {
        problems.push(format!("enums::ALL_ENUMS lacks {n}"));
    }
    for (c_name, members) in ALL_ENUMS {
        if let Some((_, m)) = listed.iter().find(|(n, _)| n == c_name) {
            if m != members {
                problems.push(format!(
                    "enums::ALL_ENUMS entry for {c_name} is not {c_name}'s MEMBERS"
                ));
            }
        }
    }

    // Header enums without a newtype are bit-flag sets (combined with |) or TIMErrCode.
    let without: Vec<&String> = header
        .keys()
        .filter(|n| !listed_names.contains(n.as_str()))
        .collect();
    eprintln!("header enums without a Rust newtype: {without:?}");
    for n in without {
        if n != "TIMErrCode" && !n.contains("Flag") {
            problems.push(format!(
                "header enum {n} has no Rust newtype in opentim_model::enums"
            ));
        }
    }
    report(problems);
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let p = PathBuf::from(dir);
            if p.is_absolute() {
                p
            } else {
                workspace_dir().join(p)
            }
        }
        _ => workspace_dir().join("target"),
    }
}

fn find_cdylib() -> PathBuf {
    let target = target_dir();
    let mut candidates = vec![
        target.join("debug/libImSDK.so"),
        target.join("release/libImSDK.so"),
    ];
    // Last resort: the profile directory this test binary was built into (<target>/<profile>/deps/).
    if let Some(profile_dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
    {
        candidates.push(profile_dir.join("libImSDK.so"));
    }
    for c in &candidates {
        if c.is_file() {
            return c.clone();
        }
    }
    panic!(
        "libImSDK.so not found (looked for {}): run `cargo build -p opentim-capi` first \
         (with the same CARGO_TARGET_DIR)",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[test]
fn exported_symbols_match_declarations() {
    let mut declared = BTreeSet::new();
    for h in HEADERS {
        for name in parse_decl_functions(&strip_comments(&read_header(h))) {
            assert!(
                declared.insert(name.clone()),
                "{name} declared in two headers"
            );
        }
    }
    assert!(
        declared.contains("TIMInit"),
        "TIM_DECL parsing found no TIMInit: {declared:?}"
    );

    let lib = find_cdylib();
    let output = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .unwrap_or_else(|e| panic!("cannot run nm (binutils) on {}: {e}", lib.display()));
    assert!(
        output.status.success(),
        "nm -D --defined-only {} failed: {}",
        lib.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut exported = BTreeSet::new();
    for line in stdout.lines() {
        // "<address> <type> <name>[@@version]"
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(kind), Some(name)) = (fields.get(fields.len().wrapping_sub(2)), fields.last())
        else {
            continue;
        };
        let name = name.split('@').next().unwrap_or(name);
        if is_api_name(name) {
            assert!(
                matches!(*kind, "T" | "W" | "i"),
                "{name} is exported as symbol type {kind}, not a function, in {}",
                lib.display()
            );
            exported.insert(name.to_string());
        }
    }

    let missing: Vec<&String> = declared.difference(&exported).collect();
    let extra: Vec<&String> = exported.difference(&declared).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{}: declared TIM_DECL but not exported: {missing:?}; exported but not declared: {extra:?}",
        lib.display()
    );
    eprintln!(
        "{} TIM functions declared and exported by {}",
        declared.len(),
        lib.display()
    );
}
