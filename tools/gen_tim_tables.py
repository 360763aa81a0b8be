#!/usr/bin/env python3
"""Generate the opentim C definitions header and the Rust lookup tables.

Reads the project's data specification (api-data.md) and writes:

  crates/capi/include/TIMCloudDef.h   enums, JSON key macros, TIMErrCode
  crates/model/src/tables.rs          the same facts as Rust static tables

Usage: tools/gen_tim_tables.py [path/to/api-data.md]
The default input is ../shared/spec/api-data.md relative to the repository
root (the parent directory of tools/).  Only the standard library is used.

What is taken from the spec:
  * every enum of section 1.1 ("era" enums); members whose 5.6.1200 value is
    an em dash (later-only names) are skipped;
  * TIMGroupMemberRole uses None 0 / Normal 200 / Admin 300 / Owner 400
    (project decision 3 in spec/README.md);
  * every JSON key row of section 2 whose availability is not "(later)";
  * every TIMErrCode row of section 3 ("| Number | Name |" tables) whose
    availability is not "(later)"; the first occurrence of a name wins.
"""

import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEF_HEADER = os.path.join(REPO_ROOT, "crates", "capi", "include", "TIMCloudDef.h")
RUST_TABLES = os.path.join(REPO_ROOT, "crates", "model", "src", "tables.rs")

# Project decision 3: the role numbers we declare and emit.
ROLE_OVERRIDE = {
    "kTIMMemberRole_None": 0,
    "kTIMMemberRole_Normal": 200,
    "kTIMMemberRole_Admin": 300,
    "kTIMMemberRole_Owner": 400,
}

ASCII_MAP = {
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u2192": "->",
    "\u2264": "<=",
    "\u2265": ">=",
}


class SpecError(Exception):
    pass


def fail(msg):
    raise SpecError(msg)


def cells(line):
    """Split a markdown table row into stripped cells."""
    parts = line.strip().split("|")
    if len(parts) < 3:
        return []
    return [p.strip() for p in parts[1:-1]]


def unquote(cell):
    cell = cell.strip()
    if len(cell) >= 2 and cell.startswith("`") and cell.endswith("`"):
        return cell[1:-1]
    return None


def is_later(text):
    return "(later)" in text


def ascii_text(text):
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
        else:
            out.append(ASCII_MAP.get(ch, "_"))
    return "".join(out)


def comment_text(text):
    """Make text safe to place inside a C block comment."""
    text = ascii_text(text).replace("`", "")
    text = re.sub(r"\s*\(section [0-9.]+\)", "", text)
    text = text.replace("/*", "/ *").replace("*/", "* /").replace("??", "? ?")
    text = re.sub(r"\s+", " ", text).strip()
    return text


def section(lines, start_pat, end_pat):
    """Return the lines strictly between the first heading matching start_pat
    and the next heading matching end_pat."""
    start = None
    for i, line in enumerate(lines):
        if start is None:
            if re.match(start_pat, line):
                start = i + 1
        elif re.match(end_pat, line):
            return lines[start:i]
    if start is None:
        fail("section not found: %s" % start_pat)
    return lines[start:]


def split_blocks(lines):
    """Split a section into (heading, description, rows) per '#### ' heading.
    rows is a list of (header_cells, row_cells) for every data row."""
    blocks = []
    cur = None
    header = None
    for line in lines:
        if line.startswith("#### "):
            cur = {"name": line[5:].strip(), "desc": [], "rows": []}
            blocks.append(cur)
            header = None
            continue
        if cur is None:
            continue
        if line.startswith("|"):
            row = cells(line)
            if not row:
                continue
            if all(re.fullmatch(r":?-+:?", c) for c in row):
                continue
            if header is None:
                header = row
                continue
            cur["rows"].append((header, row))
        else:
            header = None
            text = line.strip()
            if text and not cur["rows"]:
                cur["desc"].append(text)
    return blocks


def parse_int(text, where):
    m = re.match(r"^(-?\d+)(?:\s*\((0x[0-9A-Fa-f]+)\))?$", text.strip())
    if not m:
        fail("cannot read a number from %r (%s)" % (text, where))
    value = int(m.group(1))
    hexform = m.group(2)
    if hexform is not None and int(hexform, 16) != value:
        fail("decimal and hex disagree in %r (%s)" % (text, where))
    return value, hexform


def parse_enums(lines):
    enums = []  # (name, desc, [(member, value, literal, meaning)])
    notes = []
    for block in split_blocks(section(lines, r"^### 1\.1 ", r"^### ")):
        name = block["name"]
        if is_later(name):
            continue
        members = []
        for header, row in block["rows"]:
            if header[0] != "Member" or len(row) < 4:
                fail("unexpected enum table in %s" % name)
            member = unquote(row[0])
            if member is None:
                fail("enum member not quoted in %s: %r" % (name, row[0]))
            raw = row[1]
            if raw in ("\u2014", "-", ""):
                notes.append("%s.%s skipped (no era value)" % (name, member))
                continue
            value, hexform = parse_int(raw, "%s.%s" % (name, member))
            if member in ROLE_OVERRIDE:
                if name != "TIMGroupMemberRole":
                    fail("role override hit outside TIMGroupMemberRole")
                value = ROLE_OVERRIDE[member]
                hexform = None
            literal = hexform if hexform else str(value)
            members.append((member, value, literal, row[2]))
        if name == "TIMGroupMemberRole":
            got = {m[0] for m in members}
            if got != set(ROLE_OVERRIDE):
                fail("TIMGroupMemberRole members unexpected: %s" % sorted(got))
        if not members:
            fail("enum %s has no era members" % name)
        enums.append((name, " ".join(block["desc"]), members))
    return enums, notes


def parse_keys(lines):
    structs = []  # (struct, desc, [(const, key, jtype, dir, meaning)])
    seen = {}
    dups = []
    for block in split_blocks(section(lines, r"^## 2\. ", r"^## ")):
        if is_later(block["name"]):
            continue
        rows = []
        for header, row in block["rows"]:
            if header[:2] != ["Constant", "JSON key"]:
                continue
            if len(row) != len(header):
                fail("bad key row in %s: %r" % (block["name"], row))
            if is_later(row[-1]):
                continue
            const = unquote(row[0])
            key = unquote(row[1])
            if const is None or key is None:
                fail("unquoted key row in %s: %r" % (block["name"], row))
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", const):
                fail("odd constant name %r" % const)
            if not re.fullmatch(r"[A-Za-z0-9_]+", key):
                fail("odd JSON key %r" % key)
            if const in seen:
                if seen[const] != key:
                    fail("constant %s has two keys: %s / %s" % (const, seen[const], key))
                dups.append(const)
                continue
            seen[const] = key
            rows.append((const, key, row[2], row[3], row[-1]))
        if rows:
            structs.append((block["name"], " ".join(block["desc"]), rows))
    return structs, dups


def parse_errors(lines):
    errors = []  # (name, number, meaning)
    seen = {}
    dups = []
    for block in split_blocks(section(lines, r"^## 3\. ", r"^## ")):
        for header, row in block["rows"]:
            if header[:2] != ["Number", "Name"]:
                continue
            if is_later(row[-1]):
                continue
            name = unquote(row[1])
            if name is None:
                fail("unquoted error name: %r" % row)
            number, _ = parse_int(row[0], name)
            if name in seen:
                dups.append((name, seen[name], number))
                continue
            seen[name] = number
            errors.append((name, number, row[2]))
    return errors, dups


def check_names(enums, structs, errors):
    type_names = {name for name, _, _ in enums} | {"TIMErrCode"}
    members = {}
    for name, _, mems in enums:
        for member, _, _, _ in mems:
            if member in members:
                fail("enumerator %s in both %s and %s" % (member, members[member], name))
            members[member] = name
    for name, _, _ in errors:
        if name in members:
            fail("error name %s collides with enumerator of %s" % (name, members[name]))
        members[name] = "TIMErrCode"
    for _, _, rows in structs:
        for const, _, _, _, _ in rows:
            if const in members:
                fail("macro %s collides with enumerator of %s" % (const, members[const]))
            if const in type_names:
                fail("macro %s collides with an enum type name" % const)
    for name in type_names:
        if name in members:
            fail("type name %s is also an enumerator" % name)


def c_header(enums, structs, errors):
    out = []
    w = out.append
    w("/*")
    w(" * TIMCloudDef.h - opentim data definitions (enums, JSON key names, error codes).")
    w(" *")
    w(" * Generated by tools/gen_tim_tables.py from the opentim spec; do not edit.")
    w(" * Numbers follow the 4.9.1 - 5.6.1200 SDK numbering, except TIMGroupMemberRole,")
    w(" * which uses the server values 0/200/300/400 (opentim decision 3).")
    w(" */")
    w("#ifndef TIM_CLOUD_DEF_H_")
    w("#define TIM_CLOUD_DEF_H_")
    w("")
    w('#include "TIMCloudComm.h"')
    w("")
    w("/* ------------------------------------------------------------------------ */")
    w("/* Enumerations. Each value travels as a JSON number (or is an API argument). */")
    w("/* ------------------------------------------------------------------------ */")
    w("")
    for name, desc, mems in enums:
        if desc:
            w("/* %s: %s */" % (name, comment_text(desc)))
        big = any(v > 0x7FFFFFFF or v < -0x80000000 for _, v, _, _ in mems)
        if big:
            w("/* Bit 31 does not fit a signed int: ISO C only allows int-range")
            w("   enumerators, so GNU C compilers get the extension marker. */")
            w("#if defined(__GNUC__) && !defined(__cplusplus)")
            w("__extension__")
            w("#endif")
        w("enum %s {" % name)
        width = max(len(m) for m, _, _, _ in mems)
        texts = []
        for i, (member, _, literal, _) in enumerate(mems):
            sep = "," if i + 1 < len(mems) else ""
            texts.append("    %s = %s%s" % (member.ljust(width), literal, sep))
        twidth = max(len(t) for t in texts)
        for text, (_, _, _, meaning) in zip(texts, mems):
            w("%s /* %s */" % (text.ljust(twidth), comment_text(meaning)))
        w("};")
        w("")
    w("/* ------------------------------------------------------------------------ */")
    w("/* JSON key names, grouped by the JSON object they belong to. Each macro     */")
    w("/* expands to the exact key string (typos included, they are part of the    */")
    w("/* wire format). Comments give the JSON type, who writes the key (in = the   */")
    w("/* caller, out = the SDK) and, unless present in every era header, the SDK   */")
    w("/* versions that know it.                                                    */")
    w("/* ------------------------------------------------------------------------ */")
    w("")
    for sname, desc, rows in structs:
        head = "/* %s" % sname
        if desc:
            head += ": %s" % comment_text(desc)
        w(head + " */")
        width = max(len(c) for c, _, _, _, _ in rows)
        kwidth = max(len(k) for _, k, _, _, _ in rows) + 2
        for const, key, jtype, direction, avail in rows:
            note = "%s; %s" % (comment_text(jtype), comment_text(direction))
            if avail.strip() != "all":
                note += "; %s" % comment_text(avail)
            w("#define %s %s /* %s */" % (
                const.ljust(width), ('"%s"' % key).ljust(kwidth), note))
        w("")
    w("/* ------------------------------------------------------------------------ */")
    w("/* TIMErrCode: the code given to callbacks. 6xxx-9xxx come from the SDK,     */")
    w("/* the other ranges (negative, 1xxxx ... 11xxxx) from the server side.       */")
    w("/* ------------------------------------------------------------------------ */")
    w("")
    w("enum TIMErrCode {")
    width = max(len(n) for n, _, _ in errors)
    texts = []
    for i, (name, number, _) in enumerate(errors):
        sep = "," if i + 1 < len(errors) else ""
        texts.append("    %s = %d%s" % (name.ljust(width), number, sep))
    twidth = max(len(t) for t in texts)
    for text, (_, _, meaning) in zip(texts, errors):
        w("%s /* %s */" % (text.ljust(twidth), comment_text(meaning)))
    w("};")
    w("")
    w("#endif /* TIM_CLOUD_DEF_H_ */")
    return "\n".join(out) + "\n"


def rust_str(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def rust_tables(enums, structs, errors):
    out = []
    w = out.append
    w("// generated by tools/gen_tim_tables.py; do not edit.")
    w("//")
    w("// Enum values, JSON key names and TIMErrCode numbers of the libImSDK C API,")
    w("// identical to crates/capi/include/TIMCloudDef.h (same generator, same spec).")
    w("")
    w("//! Static lookup tables generated from the opentim data specification.")
    w("")
    w("/// Every enum of the C header: enum name -> (member, value) in header order.")
    w("#[rustfmt::skip]")
    w("pub static ENUMS: &[(&str, &[(&str, i64)])] = &[")
    for name, _, mems in enums:
        w("    (%s, &[" % rust_str(name))
        for member, value, _, _ in mems:
            w("        (%s, %d)," % (rust_str(member), value))
        w("    ]),")
    w("];")
    w("")
    w("/// Every JSON key macro of the C header: constant name -> JSON key string.")
    w("#[rustfmt::skip]")
    w("pub static JSON_KEYS: &[(&str, &str)] = &[")
    for sname, _, rows in structs:
        w("    // %s" % ascii_text(sname))
        for const, key, _, _, _ in rows:
            w("    (%s, %s)," % (rust_str(const), rust_str(key)))
    w("];")
    w("")
    w("/// The TIMErrCode enum: name -> number, in header order.")
    w("#[rustfmt::skip]")
    w("pub static ERROR_CODES: &[(&str, i32)] = &[")
    for name, number, _ in errors:
        w("    (%s, %d)," % (rust_str(name), number))
    w("];")
    w("")
    w("/// Value of `member` in enum `enum_name` (\"TIMErrCode\" looks in [`ERROR_CODES`]).")
    w("pub fn enum_value(enum_name: &str, member: &str) -> Option<i64> {")
    w('    if enum_name == "TIMErrCode" {')
    w("        return ERROR_CODES")
    w("            .iter()")
    w("            .find(|(name, _)| *name == member)")
    w("            .map(|&(_, code)| i64::from(code));")
    w("    }")
    w("    ENUMS")
    w("        .iter()")
    w("        .find(|(name, _)| *name == enum_name)")
    w("        .and_then(|(_, members)| members.iter().find(|(name, _)| *name == member))")
    w("        .map(|&(_, value)| value)")
    w("}")
    w("")
    w("/// JSON key string of the header constant `constant` (e.g. \"kTIMMsgElemArray\").")
    w("pub fn json_key(constant: &str) -> Option<&'static str> {")
    w("    JSON_KEYS")
    w("        .iter()")
    w("        .find(|(name, _)| *name == constant)")
    w("        .map(|&(_, key)| key)")
    w("}")
    w("")
    w("#[cfg(test)]")
    w("mod tests {")
    w("    use super::*;")
    w("")
    w("    #[test]")
    w("    fn lookups() {")
    w('        assert_eq!(enum_value("TIMElemType", "kTIMElem_Text"), Some(0));')
    w('        assert_eq!(enum_value("TIMElemType", "kTIMElem_Invalid"), Some(-1));')
    w('        let owner = enum_value("TIMGroupMemberRole", "kTIMMemberRole_Owner");')
    w("        assert_eq!(owner, Some(400));")
    w('        let not_logged_in = enum_value("TIMErrCode", "ERR_SDK_NOT_LOGGED_IN");')
    w("        assert_eq!(not_logged_in, Some(6014));")
    w('        let bit31 = enum_value("TIMGroupModifyInfoFlag", "kTIMGroupModifyInfoFlag_Owner");')
    w("        assert_eq!(bit31, Some(0x8000_0000));")
    w('        assert_eq!(enum_value("TIMElemType", "nope"), None);')
    w('        assert_eq!(json_key("kTIMMsgElemArray"), Some("message_elem_array"));')
    w('        assert_eq!(json_key("nope"), None);')
    w("    }")
    w("")
    w("    #[test]")
    w("    fn names_are_unique() {")
    w("        let mut seen = std::collections::HashSet::new();")
    w("        for (name, _) in JSON_KEYS {")
    w("            assert!(seen.insert(*name), \"duplicate constant {name}\");")
    w("        }")
    w("        let mut seen = std::collections::HashSet::new();")
    w("        for (_, members) in ENUMS {")
    w("            for (name, _) in *members {")
    w("                assert!(seen.insert(*name), \"duplicate member {name}\");")
    w("            }")
    w("        }")
    w("        for (name, _) in ERROR_CODES {")
    w("            assert!(seen.insert(*name), \"duplicate error name {name}\");")
    w("        }")
    w("    }")
    w("}")
    return "\n".join(out) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)


def main(argv):
    spec = argv[1] if len(argv) > 1 else os.path.join(
        REPO_ROOT, "..", "shared", "spec", "api-data.md")
    with open(spec, encoding="utf-8") as f:
        lines = f.read().splitlines()

    enums, enum_notes = parse_enums(lines)
    structs, key_dups = parse_keys(lines)
    errors, err_dups = parse_errors(lines)
    check_names(enums, structs, errors)

    write(DEF_HEADER, c_header(enums, structs, errors))
    write(RUST_TABLES, rust_tables(enums, structs, errors))

    n_members = sum(len(m) for _, _, m in enums)
    n_keys = sum(len(r) for _, _, r in structs)
    print("enums: %d (%d members)" % (len(enums), n_members))
    print("json keys: %d in %d objects" % (n_keys, len(structs)))
    print("error codes: %d" % len(errors))
    for note in enum_notes:
        print("note: " + note)
    for const in key_dups:
        print("note: duplicate constant %s (same key) kept once" % const)
    for name, first, other in err_dups:
        print("note: duplicate error name %s (%d, then %d) kept first" % (name, first, other))
    print("wrote " + os.path.relpath(DEF_HEADER, REPO_ROOT))
    print("wrote " + os.path.relpath(RUST_TABLES, REPO_ROOT))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except SpecError as e:
        sys.stderr.write("gen_tim_tables: %s\n" % e)
        sys.exit(1)
