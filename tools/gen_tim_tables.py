#!/usr/bin/env python3
"""Generate the opentim C definitions header and the Rust tables and constants.

Reads spec/tim-data.json (the enums, JSON keys and error codes of the libImSDK C
API, as facts) and writes:

  crates/capi/include/TIMCloudDef.h   enums, JSON key macros, TIMErrCode
  crates/model/src/tables.rs          the same facts as Rust static tables
  crates/model/src/codes.rs           TIMResult and TIMErrCode values as Rust consts

Usage: tools/gen_tim_tables.py [path/to/tim-data.json]
The default input is spec/tim-data.json in the repository root (the parent
directory of tools/).  Only the standard library is used.

The data file holds the era contract only (members with a 4.9.1 - 5.6.1200
value, JSON keys and error codes not limited to 6.x headers), in header order.
TIMGroupMemberRole carries the server values None 0 / Normal 200 / Admin 300 /
Owner 400 (see the "comment" field of that enum in the data file).  Names in
"codes_extras" are emitted into codes.rs only, after the TIMErrCode members.

The outputs are checked in; scripts/test.sh reruns this script and fails when
they differ from what is committed.
"""

import json
import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_FILE = os.path.join(REPO_ROOT, "spec", "tim-data.json")
DEF_HEADER = os.path.join(REPO_ROOT, "crates", "capi", "include", "TIMCloudDef.h")
RUST_TABLES = os.path.join(REPO_ROOT, "crates", "model", "src", "tables.rs")
RUST_CODES = os.path.join(REPO_ROOT, "crates", "model", "src", "codes.rs")

ASCII_MAP = {
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u2192": "->",
    "\u2264": "<=",
    "\u2265": ">=",
}

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
I32_MIN, I32_MAX = -0x80000000, 0x7FFFFFFF


class SpecError(Exception):
    pass


def fail(msg):
    raise SpecError(msg)


def ascii_text(text):
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
        else:
            out.append(ASCII_MAP.get(ch, "_"))
    return "".join(out)


def one_line(text):
    """ASCII, no backticks, whitespace runs collapsed to one space."""
    text = ascii_text(text).replace("`", "")
    return re.sub(r"\s+", " ", text).strip()


def comment_text(text):
    """Make text safe to place inside a C block comment."""
    text = ascii_text(text).replace("`", "")
    text = text.replace("/*", "/ *").replace("*/", "* /").replace("??", "? ?")
    text = re.sub(r"\s+", " ", text).strip()
    return text


def field(obj, name, kind, where):
    """obj[name], which must be of Python type kind (str or int)."""
    if not isinstance(obj, dict) or name not in obj:
        fail("%s: missing %r" % (where, name))
    value = obj[name]
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        fail("%s: %r must be %s" % (where, name, kind.__name__))
    return value


def ident(obj, name, where):
    value = field(obj, name, str, where)
    if not re.fullmatch(IDENT, value):
        fail("%s: odd identifier %r" % (where, value))
    return value


def load_enums(data):
    enums = []  # (name, desc, [(member, value, literal, meaning)])
    for i, e in enumerate(field(data, "enums", list, "data")):
        name = ident(e, "name", "enums[%d]" % i)
        members = []
        for j, m in enumerate(field(e, "members", list, name)):
            where = "%s.members[%d]" % (name, j)
            member = ident(m, "name", where)
            value = field(m, "value", int, where)
            literal = str(value)
            if "hex" in m:
                literal = field(m, "hex", str, where)
                if not re.fullmatch(r"0x[0-9A-Fa-f]+", literal) or int(literal, 16) != value:
                    fail("%s: hex %r is not the value %d" % (where, literal, value))
            members.append((member, value, literal, field(m, "desc", str, where)))
        if not members:
            fail("enum %s has no members" % name)
        enums.append((name, field(e, "desc", str, name), members))
    return enums


def load_keys(data):
    structs = []  # (struct, desc, [(const, key, jtype, dir, availability)])
    seen = {}
    for i, s in enumerate(field(data, "json_objects", list, "data")):
        sname = field(s, "name", str, "json_objects[%d]" % i)
        rows = []
        for j, k in enumerate(field(s, "keys", list, sname)):
            where = "%s.keys[%d]" % (sname, j)
            const = ident(k, "const", where)
            key = field(k, "key", str, where)
            if not re.fullmatch(r"[A-Za-z0-9_]+", key):
                fail("%s: odd JSON key %r" % (where, key))
            if const in seen:
                fail("constant %s listed twice (%s, %s)" % (const, seen[const], sname))
            seen[const] = sname
            rows.append((const, key, field(k, "type", str, where), field(k, "dir", str, where),
                         field(k, "availability", str, where)))
        if not rows:
            fail("JSON object %s has no keys" % sname)
        structs.append((sname, field(s, "desc", str, sname), rows))
    return structs


def load_codes(data, section):
    codes = []  # (name, number, meaning)
    for i, c in enumerate(field(data, section, list, "data")):
        where = "%s[%d]" % (section, i)
        name = ident(c, "name", where)
        number = field(c, "number", int, where)
        if not I32_MIN <= number <= I32_MAX:
            fail("%s: %s = %d does not fit an i32" % (where, name, number))
        codes.append((name, number, field(c, "desc", str, where)))
    return codes


def load(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    enums = load_enums(data)
    structs = load_keys(data)
    errors = load_codes(data, "error_codes")
    extras = load_codes(data, "codes_extras")
    names = set()
    for name, _, _ in errors:
        if name in names:
            fail("error name %s listed twice" % name)
        names.add(name)
    return enums, structs, errors, extras


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


def doc_lines(text, indent="", width=100):
    """`///` lines holding text, wrapped at width columns. A continuation line
    never starts with something markdown would read as a list, quote, heading
    or rule, so the comment stays one paragraph."""
    prefix = indent + "/// "
    words = one_line(text).split(" ")
    if words == [""]:
        fail("empty doc text")

    def bad_start(word):
        return re.match(r"^([-+*#>=|]|\d+[.)])", word) is not None

    lines = [[]]
    for word in words:
        cur = lines[-1]
        if cur and len(prefix + " ".join(cur + [word])) > width:
            nxt = [word]
            while bad_start(nxt[0]) and len(cur) > 1:
                nxt.insert(0, cur.pop())
            lines.append(nxt)
        else:
            cur.append(word)
    return [(prefix + " ".join(ws)).rstrip() for ws in lines]


def rust_codes(enums, errors, extras):
    results = [mems for name, _, mems in enums if name == "TIMResult"]
    if not results:
        fail("no TIMResult enum in the data")
    results = [(m, v, meaning) for m, v, _, meaning in results[0]]
    owner = {}
    for group, items in (("TIMResult", results), ("TIMErrCode", errors),
                         ("codes_extras", extras)):
        for name, number, _ in items:
            if name in owner:
                fail("codes.rs: %s (%s) collides with the %s name" % (name, group, owner[name]))
            if not I32_MIN <= number <= I32_MAX:
                fail("codes.rs: %s = %d does not fit an i32" % (name, number))
            owner[name] = group

    out = []
    w = out.append
    w("//! The TIM result and error codes by name: `TIM_*` are the `TIMResult` values every C function")
    w("//! returns, `ERR_*` the `TIMErrCode` numbers given to callbacks. The error codes as a lookup table")
    w("//! (for the header check) are [`crate::tables::ERROR_CODES`].")
    w("//!")
    w("//! Generated by tools/gen_tim_tables.py from spec/tim-data.json; do not edit.")
    w("")
    w("// TIMResult: the synchronous return value of the C functions.")
    for name, number, meaning in results:
        out.extend(doc_lines(meaning))
        w("pub const %s: i32 = %d;" % (name, number))
    w("")
    w("// TIMErrCode: the code given to callbacks, in header order.")
    for name, number, meaning in errors:
        out.extend(doc_lines(meaning))
        w("pub const %s: i32 = %d;" % (name, number))
    if extras:
        w("")
        w("// Not TIMErrCode members (codes_extras in spec/tim-data.json).")
        for name, number, meaning in extras:
            out.extend(doc_lines(meaning))
            w("pub const %s: i32 = %d;" % (name, number))
    for line in out:
        if len(line) > 100 and not line.startswith("pub const "):
            fail("codes.rs line over 100 columns: %s" % line)
    return "\n".join(out) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write(text)


def main(argv):
    path = argv[1] if len(argv) > 1 else DATA_FILE
    enums, structs, errors, extras = load(path)
    check_names(enums, structs, errors)

    outputs = [
        (DEF_HEADER, c_header(enums, structs, errors)),
        (RUST_TABLES, rust_tables(enums, structs, errors)),
        (RUST_CODES, rust_codes(enums, errors, extras)),
    ]
    for out, text in outputs:
        write(out, text)

    n_members = sum(len(m) for _, _, m in enums)
    n_keys = sum(len(r) for _, _, r in structs)
    print("enums: %d (%d members)" % (len(enums), n_members))
    print("json keys: %d in %d objects" % (n_keys, len(structs)))
    print("error codes: %d (+%d extra in codes.rs)" % (len(errors), len(extras)))
    for out, _ in outputs:
        print("wrote " + os.path.relpath(out, REPO_ROOT))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (SpecError, OSError, ValueError) as e:
        sys.stderr.write("gen_tim_tables: %s\n" % e)
        sys.exit(1)
