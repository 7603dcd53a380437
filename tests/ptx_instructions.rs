//! Unit tests of the PTX interpreter (`tests/ptx`): every instruction form of
//! the subset on hand-picked values, the traps, and the rejection of
//! everything outside the subset. Each test runs a tiny kernel.

use exact_neuron_support::ptx;

use exact_neuron::launch::ArgValue;
use ptx::exec::{launch, ExecOptions, LaunchError, TrapKind};
use ptx::memory::{Fault, Memory};
use ptx::parser::parse_module;

const HEADER: &str = ".version 7.0\n.target sm_70\n.address_size 64\n";

/// A module with one entry `t(p_out, p_in)` whose body starts by loading
/// `%out` and `%in`; `decls` and `body` follow.
fn kernel(decls: &str, body: &str) -> String {
    format!(
        "{HEADER}.visible .entry t(\n    .param .u64 p_out,\n    .param .u64 p_in\n)\n{{\n    \
         .reg .b64 %out, %in;\n{decls}\n    ld.param.u64 %out, [p_out];\n    \
         ld.param.u64 %in, [p_in];\n{body}\n    ret;\n}}\n"
    )
}

/// Poison of the output slots: a byte no test stores on purpose.
const POISON: u8 = 0xEE;

/// Runs `src`'s entry `t` over `grid` x `block` threads with `input` at
/// `%in` and `out_len` poisoned bytes at `%out`; the output bytes after.
fn execute(
    src: &str,
    grid: u32,
    block: u32,
    input: &[u8],
    out_len: usize,
) -> Result<Vec<u8>, LaunchError> {
    let module = parse_module(src).unwrap_or_else(|err| panic!("{err}\n{src}"));
    let mut memory = Memory::new();
    let input_addr = memory.alloc(input.len());
    memory.write(input_addr, input).expect("input fits");
    let out = memory.alloc(out_len);
    memory.fill(out, out_len, &[POISON]).expect("output fits");
    launch(
        &module,
        "t",
        grid,
        block,
        &[ArgValue::U64(out), ArgValue::U64(input_addr)],
        &mut memory,
        &ExecOptions { step_limit: 10_000 },
    )?;
    Ok(memory.read(out, out_len).expect("output").to_vec())
}

fn words(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

/// One thread; `slots` 8-byte results read back from `%out`.
fn run(decls: &str, body: &str, slots: usize) -> Vec<u64> {
    run_with_input(decls, body, &[], slots)
}

fn run_with_input(decls: &str, body: &str, input: &[u8], slots: usize) -> Vec<u64> {
    let src = kernel(decls, body);
    let out = execute(&src, 1, 1, input, slots * 8).unwrap_or_else(|err| panic!("{err}\n{src}"));
    words(&out)
}

/// The launch error of a kernel that must trap.
fn trap_of(decls: &str, body: &str, input: &[u8], grid: u32, block: u32) -> TrapKind {
    let src = kernel(decls, body);
    match execute(&src, grid, block, input, 64) {
        Err(LaunchError::Trap(trap)) => {
            eprintln!("{trap}");
            trap.kind
        }
        other => panic!("expected a trap, got {other:?}\n{src}"),
    }
}

/// The parse error of a kernel that must be rejected.
fn rejected(decls: &str, body: &str) -> String {
    let src = kernel(decls, body);
    match parse_module(&src) {
        Err(err) => err.to_string(),
        Ok(_) => panic!("accepted:\n{src}"),
    }
}

fn assert_rejected(decls: &str, body: &str, expected: &str) {
    let message = rejected(decls, body);
    assert!(
        message.contains(expected),
        "`{body}`: expected an error containing {expected:?}, got {message:?}"
    );
}

/// Stores each 64-bit register of `regs` into slot i.
fn store64(regs: &[&str]) -> String {
    regs.iter()
        .enumerate()
        .map(|(i, r)| format!("    st.global.u64 [%out+{}], {r};\n", 8 * i))
        .collect()
}

/// Stores each 32-bit register of `regs` into the low half of slot i (the
/// high half keeps the poison).
fn store32(regs: &[&str]) -> String {
    regs.iter()
        .enumerate()
        .map(|(i, r)| format!("    st.global.u32 [%out+{}], {r};\n", 8 * i))
        .collect()
}

/// The low 32 bits of a slot that `store32` wrote, checking the poison above.
fn low32(slot: u64) -> u64 {
    assert_eq!(slot >> 32, 0xEEEE_EEEE, "a 32-bit store wrote 8 bytes");
    slot & 0xFFFF_FFFF
}

// ---------------------------------------------------------------------------
// Arithmetic and logic
// ---------------------------------------------------------------------------

#[test]
fn add_wraps_at_the_type_width() {
    let out = run(
        "    .reg .b32 %a, %b, %c;\n    .reg .b64 %d, %e;\n    .reg .u16 %h;",
        "    mov.u32 %a, 0xFFFFFFFF;\n    add.u32 %a, %a, 2;\n    \
         mov.s32 %b, 0x7FFFFFFF;\n    add.s32 %b, %b, 1;\n    \
         mov.u32 %c, 5;\n    add.u32 %c, %c, -1;\n    \
         mov.u64 %d, -1;\n    add.u64 %d, %d, 1;\n    \
         mov.u64 %e, 0x7FFFFFFFFFFFFFFF;\n    add.s64 %e, %e, %e;\n    \
         mov.u16 %h, 0xFFFF;\n    add.u16 %h, %h, 3;\n    \
         st.global.u32 [%out], %a;\n    st.global.u32 [%out+8], %b;\n    \
         st.global.u32 [%out+16], %c;\n    st.global.u64 [%out+24], %d;\n    \
         st.global.u64 [%out+32], %e;\n    st.global.u16 [%out+40], %h;",
        6,
    );
    assert_eq!(low32(out[0]), 1);
    assert_eq!(low32(out[1]), 0x8000_0000);
    assert_eq!(low32(out[2]), 4);
    assert_eq!(out[3], 0);
    assert_eq!(out[4], 0xFFFF_FFFF_FFFF_FFFE);
    assert_eq!(out[5], 0xEEEE_EEEE_EEEE_0002);
}

/// A result keeps no bits above its width: shifting it right must not bring
/// any down (the register file holds every value zero-extended).
#[test]
fn results_keep_no_bits_above_their_width() {
    let ops = [
        ("add.u32 %r, 0xFFFFFFFF, 2", 1u64),
        ("sub.u32 %r, 0, 1", 0xFFFF_FFFF),
        ("mul.lo.u32 %r, 0x10000, 0x10000", 0),
        ("mul.lo.s32 %r, -1, 3", 0xFFFF_FFFD),
        ("shl.b32 %r, 0xFFFFFFFF, 4", 0xFFFF_FFF0),
        ("not.b32 %r, 0", 0xFFFF_FFFF),
        ("shr.s32 %r, 0x80000000, 4", 0xF800_0000),
        ("min.s32 %r, -1, 0", 0xFFFF_FFFF),
        ("mov.u32 %r, -1", 0xFFFF_FFFF),
    ];
    let mut body = String::new();
    for (i, (op, _)) in ops.iter().enumerate() {
        body.push_str(&format!(
            "    {op};\n    shr.u32 %q, %r, 1;\n    st.global.u32 [%out+{}], %q;\n",
            8 * i
        ));
    }
    let out = run("    .reg .b32 %r, %q;", &body, ops.len());
    for (i, (op, result)) in ops.iter().enumerate() {
        assert_eq!(low32(out[i]), result >> 1, "{op}");
    }
    // and the same for 16-bit results
    let out = run(
        "    .reg .b16 %h, %q;",
        "    add.u16 %h, 0xFFFF, 2;\n    shr.u16 %q, %h, 1;\n    st.global.u16 [%out], %q;\n    \
         shl.b16 %h, 0xFFFF, 8;\n    shr.b16 %q, %h, 1;\n    st.global.u16 [%out+8], %q;",
        2,
    );
    assert_eq!(out, [0xEEEE_EEEE_EEEE_0000, 0xEEEE_EEEE_EEEE_7F80]);
}

#[test]
fn sub_wraps_below_zero() {
    let out = run(
        "    .reg .b32 %a, %b;\n    .reg .b64 %d;",
        &format!(
            "    mov.u32 %a, 0;\n    sub.u32 %a, %a, 1;\n\
             \n    mov.u32 %b, 7;\n    sub.s32 %b, %b, -1;\n\
             \n    mov.u64 %d, 0;\n    sub.u64 %d, %d, 1;\n{}    st.global.u64 [%out+16], %d;\n",
            store32(&["%a", "%b"])
        ),
        3,
    );
    assert_eq!(low32(out[0]), 0xFFFF_FFFF);
    assert_eq!(low32(out[1]), 8);
    assert_eq!(out[2], u64::MAX);
}

#[test]
fn mul_wide_gives_the_full_product() {
    let out = run(
        "    .reg .b32 %a, %b, %r;\n    .reg .b64 %d<5>;\n    .reg .u16 %h;",
        &format!(
            "    mov.u32 %a, 0xFFFFFFFF;\n    mul.wide.u32 %d0, %a, %a;\n\
             \n    mul.wide.s32 %d1, %a, %a;\n\
             \n    mov.u32 %b, 0x80000000;\n    mov.u32 %r, 0x7FFFFFFF;\n    mul.wide.s32 %d2, %b, %r;\n\
             \n    mul.wide.u32 %d3, %b, 2;\n\
             \n    mov.u16 %h, 0xFFFF;\n    mul.wide.u16 %r, %h, %h;\n    cvt.u64.u32 %d4, %r;\n{}",
            store64(&["%d0", "%d1", "%d2", "%d3", "%d4"])
        ),
        5,
    );
    assert_eq!(out[0], 0xFFFF_FFFE_0000_0001);
    assert_eq!(out[1], 1); // (-1) * (-1)
    assert_eq!(out[2] as i64, -(1i64 << 31) * ((1i64 << 31) - 1));
    assert_eq!(out[3], 1 << 32);
    assert_eq!(out[4], 0xFFFE_0001);
}

#[test]
fn mul_lo_and_hi_split_the_product() {
    let out = run(
        "    .reg .b32 %a, %lo, %hi, %shi;\n    .reg .b64 %d, %dlo, %dhi;",
        &format!(
            "    mov.u32 %a, 0x10000;\n    mul.lo.u32 %lo, %a, %a;\n    mul.hi.u32 %hi, %a, %a;\n\
             \n    mul.hi.s32 %shi, -1, 1;\n\
             \n    mov.u64 %d, -1;\n    mul.lo.u64 %dlo, %d, %d;\n    mul.hi.u64 %dhi, %d, %d;\n{}{}",
            store32(&["%lo", "%hi", "%shi"]),
            "    st.global.u64 [%out+24], %dlo;\n    st.global.u64 [%out+32], %dhi;\n"
        ),
        5,
    );
    assert_eq!(low32(out[0]), 0);
    assert_eq!(low32(out[1]), 1);
    assert_eq!(low32(out[2]), 0xFFFF_FFFF); // high half of -1
    assert_eq!(out[3], 1);
    assert_eq!(out[4], 0xFFFF_FFFF_FFFF_FFFE);
}

#[test]
fn min_and_max_respect_signedness() {
    let out = run(
        "    .reg .b64 %m, %r<4>;\n    .reg .b32 %a, %b;",
        &format!(
            "    mov.u64 %m, -1;\n    min.u64 %r0, %m, 1;\n    min.s64 %r1, %m, 1;\n\
             \n    max.u64 %r2, %m, 1;\n    max.s64 %r3, %m, 1;\n\
             \n    max.s32 %a, 0x80000000, 0x7FFFFFFF;\n    min.u32 %b, 0x80000000, 0x7FFFFFFF;\n{}\
             \n    st.global.u32 [%out+32], %a;\n    st.global.u32 [%out+40], %b;\n",
            store64(&["%r0", "%r1", "%r2", "%r3"])
        ),
        6,
    );
    assert_eq!(out[..4], [1, u64::MAX, u64::MAX, 1]);
    assert_eq!(low32(out[4]), 0x7FFF_FFFF);
    assert_eq!(low32(out[5]), 0x7FFF_FFFF);
}

#[test]
fn bitwise_operations() {
    let out = run(
        "    .reg .b32 %a<4>;\n    .reg .b64 %d<2>;\n    .reg .b16 %h;",
        &format!(
            "    and.b32 %a0, 0xF0F0F0F0, 0xFF00FF00;\n    or.b32 %a1, 0xF0F0F0F0, 0x0F000000;\n\
             \n    xor.b32 %a2, 0xFFFF0000, 0x0FF00FF0;\n    not.b32 %a3, 0;\n\
             \n    mov.b64 %d0, 0x8000000000000001;\n    not.b64 %d1, %d0;\n    and.b64 %d0, %d0, %d1;\n\
             \n    mov.b16 %h, 0x00FF;\n    not.b16 %h, %h;\n    st.global.b16 [%out+48], %h;\n{}\
             \n    st.global.u64 [%out+32], %d0;\n    st.global.u64 [%out+40], %d1;\n",
            store32(&["%a0", "%a1", "%a2", "%a3"])
        ),
        7,
    );
    assert_eq!(low32(out[0]), 0xF000_F000);
    assert_eq!(low32(out[1]), 0xFFF0_F0F0);
    assert_eq!(low32(out[2]), 0xF00F_0FF0);
    assert_eq!(low32(out[3]), 0xFFFF_FFFF);
    assert_eq!(out[4], 0);
    assert_eq!(out[5], 0x7FFF_FFFF_FFFF_FFFE);
    assert_eq!(out[6], 0xEEEE_EEEE_EEEE_FF00);
}

#[test]
fn shl_clamps_large_amounts() {
    let out = run(
        "    .reg .b32 %a<5>, %n;\n    .reg .b64 %d<3>;",
        &format!(
            "    shl.b32 %a0, 0x80000001, 0;\n    shl.b32 %a1, 1, 31;\n    shl.b32 %a2, 1, 32;\n\
             \n    mov.u32 %n, 0xFFFFFFFF;\n    shl.b32 %a3, 1, %n;\n    shl.b32 %a4, 0xFFFFFFFF, 4;\n\
             \n    shl.b64 %d0, 1, 63;\n    shl.b64 %d1, 1, 64;\n    shl.b64 %d2, 0xFF, 32;\n{}\
             \n    st.global.u64 [%out+40], %d0;\n    st.global.u64 [%out+48], %d1;\n    st.global.u64 [%out+56], %d2;\n",
            store32(&["%a0", "%a1", "%a2", "%a3", "%a4"])
        ),
        8,
    );
    assert_eq!(low32(out[0]), 0x8000_0001);
    assert_eq!(low32(out[1]), 0x8000_0000);
    assert_eq!(low32(out[2]), 0);
    assert_eq!(low32(out[3]), 0);
    assert_eq!(low32(out[4]), 0xFFFF_FFF0);
    assert_eq!(out[5..], [1 << 63, 0, 0xFF_0000_0000]);
}

#[test]
fn shr_is_logical_for_unsigned_and_bits_and_arithmetic_for_signed() {
    let out = run(
        "    .reg .b32 %a<6>;\n    .reg .b64 %d<3>;",
        &format!(
            "    shr.u32 %a0, 0x80000000, 31;\n    shr.u32 %a1, 0x80000000, 32;\n\
             \n    shr.s32 %a2, 0x80000000, 31;\n    shr.s32 %a3, 0x80000000, 40;\n\
             \n    shr.b32 %a4, 0x80000000, 4;\n    shr.s32 %a5, 0x40000000, 40;\n\
             \n    shr.u64 %d0, -1, 63;\n    shr.s64 %d1, 0x8000000000000000, 64;\n    shr.u64 %d2, -1, 64;\n{}\
             \n    st.global.u64 [%out+48], %d0;\n    st.global.u64 [%out+56], %d1;\n    st.global.u64 [%out+64], %d2;\n",
            store32(&["%a0", "%a1", "%a2", "%a3", "%a4", "%a5"])
        ),
        9,
    );
    assert_eq!(low32(out[0]), 1);
    assert_eq!(low32(out[1]), 0);
    assert_eq!(low32(out[2]), 0xFFFF_FFFF);
    assert_eq!(low32(out[3]), 0xFFFF_FFFF);
    assert_eq!(low32(out[4]), 0x0800_0000);
    assert_eq!(low32(out[5]), 0);
    assert_eq!(out[6..], [1, u64::MAX, 0]);
}

#[test]
fn setp_compares_by_signedness() {
    // (comparison, type, a, b, expected)
    let cases: &[(&str, &str, &str, &str, bool)] = &[
        ("lt", "u32", "0xFFFFFFFF", "1", false),
        ("lt", "u32", "5", "5", false),
        ("lo", "u32", "7", "7", false),
        ("le", "u32", "8", "7", false),
        ("gt", "s32", "-1", "-1", false),
        ("hi", "u32", "3", "3", false),
        ("ge", "s32", "-2", "-1", false),
        ("hs", "u32", "3", "3", true),
        ("lt", "s32", "0xFFFFFFFF", "1", true),
        ("lo", "u32", "0xFFFFFFFF", "1", false),
        ("ls", "u32", "1", "1", true),
        ("hi", "u32", "0xFFFFFFFF", "1", true),
        ("hs", "u32", "0", "1", false),
        ("le", "s32", "-1", "-1", true),
        ("gt", "s32", "0", "-1", true),
        ("gt", "u32", "0", "-1", false),
        ("ge", "u32", "0x7F800000", "0x7F800000", true),
        ("eq", "b32", "0x80000000", "0x80000000", true),
        ("ne", "b32", "0", "0", false),
        ("ne", "u32", "1", "0", true),
        ("ge", "u64", "0x8000000000000000", "1", true),
        ("ge", "s64", "0x8000000000000000", "1", false),
        (
            "lt",
            "u64",
            "0x7FEFFFFFFFFFFFFF",
            "0x7FF0000000000000",
            true,
        ),
        ("lt", "s16", "0x8000", "0", true),
        ("lt", "u16", "0x8000", "0", false),
        ("eq", "b64", "-1", "0xFFFFFFFFFFFFFFFF", true),
    ];
    let mut decls = String::from("    .reg .pred %p;\n    .reg .b32 %r;\n");
    let mut body = String::new();
    for (i, (cmp, ty, a, b, _)) in cases.iter().enumerate() {
        let bits = &ty[1..];
        decls.push_str(&format!("    .reg .b{bits} %x{i}, %y{i};\n"));
        body.push_str(&format!(
            "    mov.b{bits} %x{i}, {a};\n    mov.b{bits} %y{i}, {b};\n    \
             setp.{cmp}.{ty} %p, %x{i}, %y{i};\n    selp.u32 %r, 1, 0, %p;\n    \
             st.global.u32 [%out+{}], %r;\n",
            8 * i
        ));
    }
    let out = run(&decls, &body, cases.len());
    for (i, (cmp, ty, a, b, expected)) in cases.iter().enumerate() {
        assert_eq!(low32(out[i]) == 1, *expected, "setp.{cmp}.{ty} {a}, {b}");
    }
}

#[test]
fn selp_picks_by_the_predicate() {
    let out = run(
        "    .reg .pred %t, %f;\n    .reg .b32 %a, %b, %c;\n    .reg .b64 %d, %e;\n    .reg .b16 %h;",
        &format!(
            "    setp.eq.u32 %t, 0, 0;\n    setp.ne.u32 %f, 0, 0;\n\
             \n    mov.u32 %c, 0xCAFE;\n    selp.b32 %a, %c, 7, %t;\n    selp.b32 %b, %c, 7, %f;\n\
             \n    selp.b64 %d, 0x100000000, -1, %t;\n    selp.u64 %e, 0x100000000, -1, %f;\n\
             \n    selp.s16 %h, -2, 3, %t;\n    st.global.u16 [%out+32], %h;\n{}\
             \n    st.global.u64 [%out+16], %d;\n    st.global.u64 [%out+24], %e;\n",
            store32(&["%a", "%b"])
        ),
        5,
    );
    assert_eq!(low32(out[0]), 0xCAFE);
    assert_eq!(low32(out[1]), 7);
    assert_eq!(out[2], 1 << 32);
    assert_eq!(out[3], u64::MAX);
    assert_eq!(out[4], 0xEEEE_EEEE_EEEE_FFFE);
}

#[test]
fn mov_moves_registers_immediates_and_truncates_negative_ones() {
    let out = run(
        "    .reg .b32 %a, %b;\n    .reg .b64 %d, %e;",
        &format!(
            "    mov.u32 %a, -1;\n    mov.b32 %b, %a;\n    mov.u64 %d, 0x123456789ABCDEF0;\n\
             \n    mov.s64 %e, -2;\n{}\
             \n    st.global.u64 [%out+16], %d;\n    st.global.u64 [%out+24], %e;\n",
            store32(&["%a", "%b"])
        ),
        4,
    );
    assert_eq!(low32(out[0]), 0xFFFF_FFFF);
    assert_eq!(low32(out[1]), 0xFFFF_FFFF);
    assert_eq!(out[2], 0x1234_5678_9ABC_DEF0);
    assert_eq!(out[3], (-2i64) as u64);
}

#[test]
fn special_registers_describe_the_thread() {
    // 3 blocks of 40 threads; each writes 8 values at 64 * its linear id.
    let decls = "    .reg .b32 %v<8>;\n    .reg .b64 %slot, %t;";
    let body = "    mov.u32 %v0, %tid.x;\n    mov.u32 %v1, %ntid.x;\n    mov.u32 %v2, %ctaid.x;\n    \
                mov.u32 %v3, %nctaid.x;\n    mov.u32 %v4, %laneid;\n    mov.u32 %v5, %tid.y;\n    \
                mov.u32 %v6, %ntid.z;\n    mov.u32 %v7, %ctaid.z;\n    \
                mul.wide.u32 %slot, %v2, %v1;\n    cvt.u64.u32 %t, %v0;\n    add.u64 %slot, %slot, %t;\n    \
                shl.b64 %slot, %slot, 6;\n    add.u64 %slot, %out, %slot;\n    \
                st.global.v4.u32 [%slot], {%v0, %v1, %v2, %v3};\n    \
                st.global.v4.u32 [%slot+16], {%v4, %v5, %v6, %v7};";
    let src = kernel(decls, body);
    let out = execute(&src, 3, 40, &[], 3 * 40 * 64).expect("runs");
    for ctaid in 0..3u32 {
        for tid in 0..40u32 {
            let at = ((ctaid * 40 + tid) * 64) as usize;
            let got: Vec<u32> = out[at..at + 32]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect();
            assert_eq!(
                got,
                [tid, 40, ctaid, 3, tid % 32, 0, 1, 0],
                "({ctaid}, {tid})"
            );
        }
    }
}

#[test]
fn cvt_extends_truncates_and_saturates() {
    // (to, from, sat, destination register type, source value, expected)
    let cases: &[(&str, &str, bool, &str, &str, u64)] = &[
        ("u64", "u32", false, "b64", "0xFFFFFFFF", 0xFFFF_FFFF),
        ("s64", "s32", false, "b64", "0xFFFFFFFF", u64::MAX),
        (
            "u64",
            "s32",
            false,
            "b64",
            "0x80000000",
            0xFFFF_FFFF_8000_0000,
        ),
        ("s64", "u32", false, "b64", "0x80000000", 0x8000_0000),
        ("u32", "u64", false, "b32", "0x1234567800000001", 1),
        ("u32", "s64", true, "b32", "-5", 0),
        ("u32", "u64", true, "b32", "0x100000000", 0xFFFF_FFFF),
        ("s32", "u32", true, "b32", "0xFFFFFFFF", 0x7FFF_FFFF),
        ("s32", "s64", true, "b32", "0x8000000000000000", 0x8000_0000),
        ("u8", "u32", false, "b32", "0x1FF", 0xFF),
        ("u8", "s32", true, "b32", "-3", 0),
        ("u8", "u32", true, "b32", "300", 0xFF),
        ("s8", "s32", false, "b32", "0x80", 0xFFFF_FF80),
        ("s8", "s32", true, "b32", "200", 0x7F),
        ("s16", "s64", false, "b64", "0x18000", 0xFFFF_FFFF_FFFF_8000),
        ("u16", "s16", false, "b32", "0x8000", 0x8000),
    ];
    let mut decls = String::new();
    let mut body = String::new();
    for (i, (to, from, sat, dst_ty, value, _)) in cases.iter().enumerate() {
        let src_bits = &from[1..];
        let src_bits = if src_bits == "8" { "16" } else { src_bits };
        decls.push_str(&format!(
            "    .reg .b{src_bits} %s{i};\n    .reg .{dst_ty} %d{i};\n"
        ));
        let sat = if *sat { ".sat" } else { "" };
        body.push_str(&format!(
            "    mov.b{src_bits} %s{i}, {value};\n    cvt{sat}.{to}.{from} %d{i}, %s{i};\n"
        ));
        let width = &dst_ty[1..];
        body.push_str(&format!(
            "    st.global.u{width} [%out+{}], %d{i};\n",
            8 * i
        ));
    }
    let out = run(&decls, &body, cases.len());
    for (i, (to, from, sat, dst_ty, value, expected)) in cases.iter().enumerate() {
        let got = if *dst_ty == "b32" {
            low32(out[i])
        } else {
            out[i]
        };
        assert_eq!(
            got,
            *expected,
            "cvt{}.{to}.{from} of {value} into .{dst_ty}",
            if *sat { ".sat" } else { "" }
        );
    }
}

#[test]
fn cvta_to_global_is_the_identity() {
    let out = run(
        "    .reg .b64 %g;",
        "    cvta.to.global.u64 %g, %out;\n    st.global.u64 [%g], %g;\n    st.global.u64 [%out+8], %out;",
        2,
    );
    assert_eq!(out[0], out[1]);
    assert!(out[0] >= ptx::memory::FIRST_ADDRESS);
}

// ---------------------------------------------------------------------------
// Parameters and memory
// ---------------------------------------------------------------------------

#[test]
fn parameters_sit_at_their_natural_alignment() {
    let src = format!(
        "{HEADER}.visible .entry t(\n    .param .u64 p_out,\n    .param .b32 p_a,\n    \
         .param .b64 p_b,\n    .param .b32 p_c\n)\n{{\n    .reg .b64 %out, %b, %w;\n    \
         .reg .b32 %a, %c, %lo, %hi;\n    ld.param.u64 %out, [p_out];\n    ld.param.b32 %a, [p_a];\n    \
         ld.param.b64 %b, [p_b];\n    ld.param.b32 %c, [p_c];\n    ld.param.u32 %lo, [p_b];\n    \
         ld.param.u32 %hi, [p_b+4];\n    ld.param.s8 %w, [p_a];\n    \
         st.global.v4.u32 [%out], {{%a, %c, %lo, %hi}};\n    st.global.u64 [%out+16], %b;\n    \
         st.global.u64 [%out+24], %w;\n    ret;\n}}\n"
    );
    let module = parse_module(&src).expect("parses");
    let entry = module.entry("t").expect("entry");
    let offsets: Vec<usize> = entry.params.iter().map(|p| p.offset).collect();
    assert_eq!(offsets, [0, 8, 16, 24]);
    assert_eq!(entry.param_bytes, 28);
    let mut memory = Memory::new();
    let out = memory.alloc(32);
    launch(
        &module,
        "t",
        1,
        1,
        &[
            ArgValue::U64(out),
            ArgValue::B32(0xAAAA_BB80),
            ArgValue::B64(0x1111_2222_3333_4444),
            ArgValue::B32(0xCCCC_DDDD),
        ],
        &mut memory,
        &ExecOptions::default(),
    )
    .expect("runs");
    let got = words(memory.read(out, 32).expect("read"));
    assert_eq!(got[0], 0xCCCC_DDDD_AAAA_BB80);
    assert_eq!(got[1], 0x1111_2222_3333_4444);
    assert_eq!(got[2], 0x1111_2222_3333_4444);
    assert_eq!(got[3], 0xFFFF_FFFF_FFFF_FF80); // ld.param.s8 sign-extends
}

#[test]
fn narrow_loads_extend_by_their_type() {
    let input: Vec<u8> = (0..16).map(|i| 0x80 | i).collect();
    let out = run_with_input(
        "    .reg .b64 %d<7>;\n    .reg .b32 %w;\n    .reg .b16 %h;",
        &format!(
            "    ld.global.u8 %d0, [%in];\n    ld.global.u16 %d1, [%in+2];\n    ld.global.u32 %d2, [%in+4];\n    \
             ld.global.u64 %d3, [%in+8];\n    ld.global.s8 %d4, [%in+1];\n    ld.global.s16 %d5, [%in+2];\n    \
             ld.global.nc.s32 %d6, [%in+4];\n    ld.global.nc.u8 %w, [%in+15];\n    ld.global.b8 %h, [%in+3];\n{}\
             \n    st.global.u32 [%out+56], %w;\n    st.global.u16 [%out+64], %h;\n",
            store64(&["%d0", "%d1", "%d2", "%d3", "%d4", "%d5", "%d6"])
        ),
        &input,
        9,
    );
    assert_eq!(out[0], 0x80);
    assert_eq!(out[1], 0x8382);
    assert_eq!(out[2], 0x8786_8584);
    assert_eq!(out[3], 0x8F8E_8D8C_8B8A_8988);
    assert_eq!(out[4], 0xFFFF_FFFF_FFFF_FF81);
    assert_eq!(out[5], 0xFFFF_FFFF_FFFF_8382);
    assert_eq!(out[6], 0xFFFF_FFFF_8786_8584);
    assert_eq!(low32(out[7]), 0x8F);
    assert_eq!(out[8], 0xEEEE_EEEE_EEEE_0083);
}

#[test]
fn vector_loads_fill_registers_in_order() {
    let input: Vec<u8> = (0..48).collect();
    let out = run_with_input(
        "    .reg .b32 %x<6>;\n    .reg .b64 %d<4>;",
        &format!(
            "    ld.global.nc.v4.u32 {{%x0, %x1, %x2, %x3}}, [%in];\n    \
             ld.global.v2.u32 {{%x4, %x5}}, [%in+40];\n    \
             ld.global.nc.v2.u64 {{%d0, %d1}}, [%in+16];\n    ld.global.v2.b64 {{%d2, %d3}}, [%in+32];\n{}{}",
            store32(&["%x0", "%x1", "%x2", "%x3", "%x4", "%x5"]),
            "    st.global.v2.u64 [%out+48], {%d0, %d1};\n    st.global.v2.u64 [%out+64], {%d2, %d3};\n"
        ),
        &input,
        10,
    );
    let word = |at: u64| {
        u64::from(u32::from_le_bytes([
            at as u8,
            at as u8 + 1,
            at as u8 + 2,
            at as u8 + 3,
        ]))
    };
    for (i, at) in [0, 4, 8, 12, 40, 44].into_iter().enumerate() {
        assert_eq!(low32(out[i]), word(at), "lane {i}");
    }
    let dword = |at: u8| u64::from_le_bytes(std::array::from_fn(|i| at + i as u8));
    assert_eq!(out[6..], [dword(16), dword(24), dword(32), dword(40)]);
}

#[test]
fn cache_operators_are_accepted_and_change_nothing() {
    // Streaming (`.cs`) and the other cache operators on loads (also before
    // `.nc`) and stores: the same values as without them.
    let input: Vec<u8> = (0..64).collect();
    let out = run_with_input(
        "    .reg .b32 %x<16>;\n    .reg .b64 %d;",
        "    ld.global.cs.v4.u32 {%x0, %x1, %x2, %x3}, [%in];\n    \
         ld.global.cs.v4.u32 {%x4, %x5, %x6, %x7}, [%in+16];\n    \
         ld.global.cg.nc.v4.u32 {%x8, %x9, %x10, %x11}, [%in+32];\n    \
         ld.global.ca.u64 %d, [%in+48];\n    ld.global.lu.u32 %x12, [%in+56];\n    \
         ld.global.cv.u32 %x13, [%in+60];\n    \
         st.global.cs.v4.u32 [%out], {%x0, %x1, %x2, %x3};\n    \
         st.global.cs.v4.b32 [%out+16], {%x4, %x5, %x6, %x7};\n    \
         st.global.wb.v4.u32 [%out+32], {%x8, %x9, %x10, %x11};\n    \
         st.global.cg.u64 [%out+48], %d;\n    st.global.wt.v2.u32 [%out+56], {%x12, %x13};",
        &input,
        8,
    );
    let dword = |at: u8| u64::from_le_bytes(std::array::from_fn(|i| at + i as u8));
    let expected: Vec<u64> = (0..8).map(|i| dword(8 * i)).collect();
    assert_eq!(out, expected);
}

#[test]
fn streaming_accesses_still_trap_when_misaligned_or_out_of_bounds() {
    let input = [0u8; 64];
    let decls = "    .reg .b32 %x<4>;";
    for (body, size) in [
        ("    ld.global.cs.v4.u32 {%x0, %x1, %x2, %x3}, [%in+4];", 16),
        (
            "    mov.u32 %x0, 0;\n    st.global.cs.v4.u32 [%out+8], {%x0, %x0, %x0, %x0};",
            16,
        ),
    ] {
        match memory_fault(trap_of(decls, body, &input, 1, 1)) {
            Fault::Misaligned { size: got, .. } => assert_eq!(got, size, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    for body in [
        "    ld.global.cs.v4.u32 {%x0, %x1, %x2, %x3}, [%in+64];",
        "    mov.u32 %x0, 0;\n    st.global.cs.v4.u32 [%out+64], {%x0, %x0, %x0, %x0};",
    ] {
        assert!(
            matches!(
                memory_fault(trap_of(decls, body, &input, 1, 1)),
                Fault::OutOfBounds { .. }
            ),
            "{body}"
        );
    }
}

#[test]
fn cache_operators_outside_the_subset_are_rejected() {
    // a store cache operator on a load, a load one on a store, two at once
    assert_rejected(
        "    .reg .b32 %x;",
        "    ld.global.wt.u32 %x, [%in];",
        "unknown modifier `.wt`",
    );
    assert_rejected(
        "    .reg .b32 %x;\n    mov.u32 %x, 0;",
        "    st.global.lu.u32 [%out], %x;",
        "unknown modifier `.lu`",
    );
    assert_rejected(
        "    .reg .b32 %x;",
        "    ld.global.cs.cg.u32 %x, [%in];",
        "unknown modifier `.cg`",
    );
}

#[test]
fn stores_write_only_the_type_s_low_bits() {
    let out = run(
        "    .reg .b32 %w, %x<4>, %y<2>;\n    .reg .b64 %d, %e;",
        "    mov.u32 %w, 0x12345678;\n    mov.u64 %d, 0x1122334455667788;\n    mov.u64 %e, 0x99;\n    \
         st.global.u8 [%out], %w;\n    st.global.u16 [%out+8], %w;\n    st.global.b16 [%out+16], %d;\n    \
         st.global.b32 [%out+24], %d;\n    st.global.u8 [%out+32], %d;\n    \
         st.global.v2.u32 [%out+40], {%w, %w};\n    \
         mov.u32 %x0, 1;\n    mov.u32 %x1, 2;\n    mov.u32 %x2, 3;\n    mov.u32 %x3, 4;\n    \
         st.global.v4.b32 [%out+48], {%x0, %x1, %x2, %x3};\n    st.global.v2.b64 [%out+64], {%d, %e};\n    \
         mov.u32 %y0, 0x1234;\n    mov.u32 %y1, 0x5678;\n    st.global.v2.u8 [%out+80], {%y0, %y1};\n    \
         st.global.v4.u16 [%out+88], {%x0, %x1, %x2, %w};",
        12,
    );
    assert_eq!(out[0], 0xEEEE_EEEE_EEEE_EE78);
    assert_eq!(out[1], 0xEEEE_EEEE_EEEE_5678);
    assert_eq!(out[2], 0xEEEE_EEEE_EEEE_7788);
    assert_eq!(out[3], 0xEEEE_EEEE_5566_7788);
    assert_eq!(out[4], 0xEEEE_EEEE_EEEE_EE88);
    assert_eq!(out[5], 0x1234_5678_1234_5678);
    assert_eq!(out[6..8], [0x0000_0002_0000_0001, 0x0000_0004_0000_0003]);
    assert_eq!(out[8..10], [0x1122_3344_5566_7788, 0x99]);
    // a vector of narrow elements drops each register's high bits
    assert_eq!(out[10], 0xEEEE_EEEE_EEEE_7834);
    assert_eq!(out[11], 0x5678_0003_0002_0001);
}

// ---------------------------------------------------------------------------
// Control flow
// ---------------------------------------------------------------------------

#[test]
fn guards_and_branches() {
    let out = run(
        "    .reg .pred %p, %q, %done;\n    .reg .b32 %a, %b, %c, %i, %sum;",
        "    setp.eq.u32 %p, 1, 1;\n    setp.eq.u32 %q, 1, 0;\n    mov.u32 %a, 0;\n    mov.u32 %b, 0;\n    \
         mov.u32 %c, 0;\n@%p add.u32 %a, %a, 1;\n@%q add.u32 %b, %b, 1;\n@!%q add.u32 %c, %c, 1;\n\
         // sum 1..=10 with a backward branch\n    mov.u32 %i, 1;\n    mov.u32 %sum, 0;\nLOOP:\n    \
         add.u32 %sum, %sum, %i;\n    add.u32 %i, %i, 1;\n    setp.gt.u32 %done, %i, 10;\n\
         @!%done bra LOOP;\n@%q bra SKIP;\n    st.global.u32 [%out+32], %sum;\nSKIP:\n\
         @%p bra END;\n    st.global.u32 [%out+40], %sum;\nEND:\n    \
         st.global.u32 [%out], %a;\n    st.global.u32 [%out+8], %b;\n    st.global.u32 [%out+16], %c;\n    \
         st.global.u32 [%out+24], %i;",
        6,
    );
    assert_eq!(low32(out[0]), 1);
    assert_eq!(low32(out[1]), 0);
    assert_eq!(low32(out[2]), 1);
    assert_eq!(low32(out[3]), 11);
    assert_eq!(low32(out[4]), 55);
    assert_eq!(
        out[5],
        u64::from_le_bytes([POISON; 8]),
        "a taken branch skipped the store"
    );
}

#[test]
fn ret_ends_the_thread_and_so_does_the_closing_brace() {
    let out = run(
        "    .reg .pred %p;\n    .reg .b32 %a;",
        "    mov.u32 %a, 7;\n    setp.ne.u32 %p, %a, 0;\n    st.global.u32 [%out], %a;\n\
         @!%p ret;\n    st.global.u32 [%out+8], %a;\n@%p ret;\n    st.global.u32 [%out+16], %a;",
        3,
    );
    assert_eq!(low32(out[0]), 7);
    assert_eq!(low32(out[1]), 7);
    assert_eq!(out[2], u64::from_le_bytes([POISON; 8]));
    // no `ret` at all: leaving by the closing brace exits
    let src = format!(
        "{HEADER}.visible .entry t(.param .u64 p_out, .param .u64 p_in)\n{{\n    .reg .b64 %out;\n    \
         .reg .b32 %a;\n    ld.param.u64 %out, [p_out];\n    mov.u32 %a, 9;\n    st.global.u32 [%out], %a;\n}}\n"
    );
    let out = execute(&src, 1, 1, &[], 8).expect("runs");
    assert_eq!(&out[..4], &9u32.to_le_bytes());
}

// ---------------------------------------------------------------------------
// Traps
// ---------------------------------------------------------------------------

fn memory_fault(kind: TrapKind) -> Fault {
    match kind {
        TrapKind::Memory(fault) => fault,
        other => panic!("expected a memory fault, got {other:?}"),
    }
}

#[test]
fn misaligned_accesses_trap() {
    let input = [0u8; 64];
    let decls = "    .reg .b32 %x<4>;\n    .reg .b64 %d<2>;";
    for (body, size) in [
        ("    ld.global.nc.v4.u32 {%x0, %x1, %x2, %x3}, [%in+4];", 16),
        ("    ld.global.v4.u32 {%x0, %x1, %x2, %x3}, [%in+8];", 16),
        ("    ld.global.v2.u64 {%d0, %d1}, [%in+8];", 16),
        ("    ld.global.v2.u32 {%x0, %x1}, [%in+4];", 8),
        ("    ld.global.u32 %x0, [%in+2];", 4),
        ("    ld.global.u64 %d0, [%in+4];", 8),
        ("    ld.global.u16 %x0, [%in+1];", 2),
        ("    mov.u32 %x0, 0;\n    st.global.u32 [%out+2], %x0;", 4),
        (
            "    mov.u32 %x0, 0;\n    st.global.v4.b32 [%out+8], {%x0, %x0, %x0, %x0};",
            16,
        ),
    ] {
        match memory_fault(trap_of(decls, body, &input, 1, 1)) {
            Fault::Misaligned { size: got, .. } => assert_eq!(got, size, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn out_of_bounds_and_unmapped_accesses_trap() {
    let input = [0u8; 32];
    let decls = "    .reg .b32 %x<4>;\n    .reg .b64 %a;";
    // one element past the end, a vector straddling the end, a store past
    // the output's 64 bytes
    for body in [
        "    ld.global.u32 %x0, [%in+32];",
        "    ld.global.nc.v4.u32 {%x0, %x1, %x2, %x3}, [%in+32];",
        "    mov.u32 %x0, 1;\n    st.global.u8 [%out+64], %x0;",
    ] {
        assert!(
            matches!(
                memory_fault(trap_of(decls, body, &input, 1, 1)),
                Fault::OutOfBounds { .. }
            ),
            "{body}"
        );
    }
    // a null pointer, an address before every allocation, and one in the
    // middle of the gap after the input
    for body in [
        "    mov.u64 %a, 0;\n    ld.global.u32 %x0, [%a];",
        "    sub.u64 %a, %in, 256;\n    ld.global.u32 %x0, [%a];",
        "    add.u64 %a, %out, 8192;\n    mov.u32 %x0, 0;\n    st.global.u32 [%a], %x0;",
    ] {
        assert!(
            matches!(
                memory_fault(trap_of(decls, body, &input, 1, 1)),
                Fault::Unmapped { .. }
            ),
            "{body}"
        );
    }
}

#[test]
fn runaway_threads_hit_the_step_limit() {
    match trap_of("", "SPIN:\n    bra SPIN;", &[], 1, 1) {
        TrapKind::StepLimit(limit) => assert_eq!(limit, 10_000),
        other => panic!("{other:?}"),
    }
}

#[test]
fn races_between_threads_trap() {
    let decls = "    .reg .b32 %t, %v;\n    .reg .pred %first;";
    // every thread writes byte 0
    let fault = memory_fault(trap_of(
        decls,
        "    mov.u32 %t, %tid.x;\n    st.global.u8 [%out], %t;",
        &[0; 4],
        1,
        2,
    ));
    assert!(
        matches!(fault, Fault::WriteRace { other: 0, .. }),
        "{fault:?}"
    );
    // block 0 writes, block 1 reads
    let fault = memory_fault(trap_of(
        decls,
        "    mov.u32 %t, %ctaid.x;\n    setp.eq.u32 %first, %t, 0;\n@%first st.global.u32 [%out], %t;\n\
         @!%first ld.global.u32 %v, [%out];",
        &[0; 4],
        2,
        1,
    ));
    assert!(
        matches!(fault, Fault::ReadRace { other: 0, .. }),
        "{fault:?}"
    );
    // a thread writing memory that it reads through .nc, in either order
    for body in [
        "    mov.u32 %t, 1;\n    st.global.u32 [%out], %t;\n    ld.global.nc.u32 %v, [%out];",
        "    ld.global.nc.u32 %v, [%out];\n    st.global.u32 [%out], %v;",
    ] {
        let fault = memory_fault(trap_of(decls, body, &[0; 4], 1, 1));
        assert!(
            matches!(fault, Fault::NcWritten { .. }),
            "{body}: {fault:?}"
        );
    }
    // but one thread may rewrite and reread its own bytes with plain ld
    run(
        decls,
        "    mov.u32 %t, 1;\n    st.global.u32 [%out], %t;\n    ld.global.u32 %v, [%out];\n    \
         st.global.u32 [%out], %v;",
        1,
    );
}

#[test]
fn launch_configurations_outside_cuda_s_limits_are_refused() {
    let src = kernel("", "");
    for (grid, block) in [(0, 32), (1, 0), (1, 1025), (1 << 31, 1)] {
        match execute(&src, grid, block, &[], 8) {
            Err(LaunchError::Config(_)) => {}
            other => panic!("grid {grid} block {block}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Everything outside the subset is an error
// ---------------------------------------------------------------------------

const DECLS: &str =
    "    .reg .pred %p;\n    .reg .b32 %r, %s;\n    .reg .b64 %rd;\n    .reg .u16 %h;";

#[test]
fn unknown_instructions_are_rejected() {
    for body in [
        "    bfind.u32 %r, %r;",
        "    fma.rn.f32 %r, %r, %r, %r;",
        "    bar.sync 0;",
        "    redux.sync.add.u32 %r, %r, -1;",
        "    match.any.sync.b32 %r, %r, -1;",
        "    atom.global.add.u32 %r, [%rd], 1;",
        "    exit;",
        "    mad.lo.u32 %r, %r, %r, %r;",
    ] {
        let message = rejected(DECLS, body);
        assert!(
            message.contains("outside the interpreter's subset")
                || message.contains("floating-point"),
            "{body}: {message}"
        );
    }
}

#[test]
fn maxnreg_is_taken_and_checked() {
    // `.maxnreg N` between an entry's parameters and its body: 1 to 255
    // runs as if absent; 0, 256 or a missing count is a parse error.
    let body = "    mov.u64 %v, 7;\n    st.global.u64 [%out], %v;";
    let plain = kernel("    .reg .b64 %v;", body);
    let with = |n: &str| plain.replacen(")\n{", &format!(")\n.maxnreg {n}\n{{"), 1);
    for n in ["1", "40", "255"] {
        let src = with(n);
        assert!(src.contains(".maxnreg"), "{src}");
        let out = execute(&src, 1, 1, &[], 8).unwrap_or_else(|err| panic!("{err}\n{src}"));
        assert_eq!(words(&out), [7], ".maxnreg {n}");
    }
    for n in ["0", "256", ""] {
        let src = with(n);
        let err = parse_module(&src).expect_err(&src).to_string();
        assert!(
            err.contains("maxnreg") || err.contains("expected a number"),
            ".maxnreg {n:?}: {err}"
        );
    }
}

#[test]
fn unknown_modifiers_are_rejected() {
    for (body, modifier) in [
        ("    mov.u32 %r, 0;\n    add.sat.s32 %r, %r, 1;", ".sat"),
        ("    ld.global.ca.u32 %r, [%rd];", ".ca"),
        ("    ld.global.nc.L1::no_allocate.u32 %r, [%rd];", ""),
        ("    ld.volatile.global.u32 %r, [%rd];", ".volatile"),
        ("L:\n    bra.uni L;", ".uni"),
        ("    ret.uni;", ".uni"),
        (
            "    mov.u32 %r, 1;\n    setp.lt.and.u32 %p, %r, 1, %p;",
            ".and",
        ),
        ("    mov.u32 %r, 1;\n    setp.ltu.u32 %p, %r, 1;", ".ltu"),
        ("    cvta.global.u64 %rd, %rd;", "cvta.to.global"),
        ("    st.shared.u32 [%rd], %r;", ".shared"),
        ("    ld.u32 %r, [%rd];", ".u32"),
        (
            "    mov.u32 %r, 1;\n    mul.u32 %r, %r, %r;",
            ".lo, .hi or .wide",
        ),
        ("    mov.u32 %r, 1;\n    cvt.rn.u32.u64 %r, %rd;", ".rn"),
        ("    mov.u32 %r, 1;\n    min.relu.s32 %r, %r, %r;", ".relu"),
    ] {
        let message = rejected(DECLS, body);
        assert!(message.contains(modifier), "{body}: {message}");
    }
}

#[test]
fn types_outside_the_subset_are_rejected() {
    assert_rejected("    .reg .f32 %f;", "", "floating-point type .f32");
    assert_rejected("    .reg .b8 %c;", "", "8-bit register");
    assert_rejected(
        DECLS,
        "    mov.u32 %r, 0;\n    add.f32 %r, %r, %r;",
        "floating-point",
    );
    assert_rejected(DECLS, "    cvt.f32.u32 %r, %r;", "floating-point");
    assert_rejected(
        DECLS,
        "    ld.global.b128 %rd, [%rd];",
        "outside the interpreter's subset",
    );
    assert_rejected(
        DECLS,
        "    mov.u32 %r, 0;\n    and.u32 %r, %r, 1;",
        "does not take type `.u32`",
    );
    assert_rejected(
        DECLS,
        "    mov.u32 %r, 0;\n    add.b32 %r, %r, 1;",
        "does not take type `.b32`",
    );
    assert_rejected(
        DECLS,
        "    mov.u64 %rd, 0;\n    mul.wide.u64 %rd, %rd, %rd;",
        "does not take type",
    );
    assert_rejected(
        DECLS,
        "    ld.global.v4.u64 {%rd, %rd, %rd, %rd}, [%rd];",
        "at most 16 bytes",
    );
}

#[test]
fn register_types_must_match_the_instruction() {
    let cases = [
        (
            "    mov.u32 %r, 0;\n    add.u32 %rd, %r, %r;",
            "not compatible",
        ),
        (
            "    mov.u64 %rd, 0;\n    setp.lt.u32 %p, %rd, 1;",
            "not compatible",
        ),
        (
            "    mov.u32 %r, 0;\n    add.u32 %p, %r, 1;",
            "not compatible",
        ),
        (
            "    mov.u32 %r, 0;\n    add.u16 %r, %r, 1;",
            "not compatible",
        ),
        (
            "    mov.u32 %r, 0;\n    setp.lt.u32 %r, %r, 1;",
            "a .pred register is required",
        ),
        (
            "    mov.u32 %r, 0;\n    selp.b32 %r, 1, 0, %r;",
            "a .pred register is required",
        ),
        (
            "    mov.u32 %r, 0;\n@%r bra L;\nL:",
            "is not a .pred register",
        ),
        ("    ld.global.u64 %r, [%rd];", "narrower than"),
        (
            "    mov.u32 %r, 0;\n    ld.global.u32 %s, [%r];",
            "not 64 bits",
        ),
        (
            "    mov.u32 %r, 0;\n    mul.wide.u32 %r, %r, %r;",
            "not compatible",
        ),
        (
            "    mov.u32 %r, 0;\n    cvt.u64.u32 %r, %r;",
            "narrower than",
        ),
        (
            "    mov.u32 %r, 0;\n    shl.b64 %rd, %rd, %rd;",
            "not compatible",
        ),
        ("    mov.u64 %rd, %tid.x;", "is .u32"),
        (
            "    mov.u32 %r, 0;\n    add.u32 %r, %tid.x, 1;",
            "only be read by `mov`",
        ),
        (
            "    mov.u32 %r, %warpid;",
            "outside the interpreter's subset",
        ),
        ("    mov.u32 %r, %tid.w;", "unknown component"),
        ("    mov.u32 %r, %tid;", "needs a component"),
        (
            "    mov.u32 %r, 0;\n    st.global.u32 [%rd], 1;",
            "expected a register",
        ),
        ("    ld.param.u32 %r, [%rd];", "not a parameter"),
        ("    ld.param.u64 %rd, [p_out+4];", "misaligned"),
        (
            "    ld.param.u64 %rd, [p_in+8];",
            "outside the 16-byte parameter block",
        ),
    ];
    for (body, expected) in cases {
        assert_rejected(DECLS, body, expected);
    }
}

#[test]
fn immediates_must_fit_and_be_plain_integers() {
    assert_rejected(
        DECLS,
        "    mov.u32 %r, 0x100000000;",
        "does not fit in .u32",
    );
    assert_rejected(
        DECLS,
        "    mov.u32 %r, -2147483649;",
        "does not fit in .u32",
    );
    assert_rejected(DECLS, "    mov.u16 %h, 0x10000;", "does not fit in .u16");
    assert_rejected(DECLS, "    mov.u32 %r, 010;", "outside the subset");
    assert_rejected(DECLS, "    mov.u32 %r, 0b101;", "outside the subset");
    assert_rejected(DECLS, "    mov.u32 %r, 0f3F800000;", "outside the subset");
    assert_rejected(DECLS, "    mov.u32 %r, 1U;", "outside the subset");
    assert_rejected(
        DECLS,
        "    mov.u64 %rd, 0x10000000000000000;",
        "does not fit in 64 bits",
    );
    // and the edges that do fit
    let out = run(
        DECLS,
        "    mov.u32 %r, -2147483648;\n    mov.u32 %s, 4294967295;\n    \
         st.global.u32 [%out], %r;\n    st.global.u32 [%out+8], %s;",
        2,
    );
    assert_eq!(low32(out[0]), 0x8000_0000);
    assert_eq!(low32(out[1]), 0xFFFF_FFFF);
}

#[test]
fn names_and_structure_are_checked() {
    assert_rejected(DECLS, "    add.u32 %nope, %r, 1;", "not declared");
    assert_rejected(DECLS, "    bra NOWHERE;", "not defined");
    assert_rejected(DECLS, "L:\nL:\n    ret;", "defined twice");
    assert_rejected("    .reg .b32 %a, %a;", "", "declared twice");
    assert_rejected("    .reg .b32 %a<2>, %a1;", "", "declared twice");
    assert_rejected("    .reg .b32 %tid;", "", "special register");
    assert_rejected(
        DECLS,
        "    mov.u32 %r, 0;\n    add.u32 %r, %r;",
        "takes 3 operands",
    );
    assert_rejected(DECLS, "    mov.u32 %r, 0\n    ret;", "expected `,`");
    assert_rejected(
        DECLS,
        "    .shared .b32 buffer;",
        "outside the interpreter's subset",
    );
    assert_rejected(DECLS, "    mov.u32 %r, 0; ~ ", "unexpected character");
    let without_64_bits = kernel("", "").replace(".address_size 64", ".address_size 32");
    assert!(parse_module(&without_64_bits)
        .unwrap_err()
        .to_string()
        .contains("address_size 64"));
    let global = kernel("", "").replace(".visible .entry", ".global .b32 table;\n.visible .entry");
    assert!(parse_module(&global)
        .unwrap_err()
        .to_string()
        .contains("`.global` is outside"));
}

#[test]
fn registers_must_be_written_before_they_are_read() {
    assert_rejected(
        DECLS,
        "    add.u32 %r, %r, 1;",
        "may be read before it is written",
    );
    // written on one path only
    assert_rejected(
        DECLS,
        "    setp.eq.u64 %p, %out, 0;\n@%p bra SKIP;\n    mov.u32 %r, 1;\nSKIP:\n    \
         st.global.u32 [%out], %r;",
        "%r may be read",
    );
    // a guarded write may not happen
    assert_rejected(
        DECLS,
        "    setp.eq.u64 %p, %out, 0;\n@%p mov.u32 %r, 1;\n    st.global.u32 [%out], %r;",
        "%r may be read",
    );
    // written on every path: fine
    run(
        DECLS,
        "    setp.eq.u64 %p, %out, 0;\n@%p bra ONE;\n    mov.u32 %r, 2;\n    bra JOIN;\nONE:\n    \
         mov.u32 %r, 1;\nJOIN:\n    st.global.u32 [%out], %r;",
        1,
    );
}

// ---------------------------------------------------------------------------
// Warp collectives and bit instructions
// ---------------------------------------------------------------------------

/// Declarations every warp test shares: the thread index and the address of
/// the thread's output slots.
const WARP_DECLS: &str =
    "    .reg .b32 %t, %r, %s, %u, %v;\n    .reg .b64 %o;\n    .reg .pred %p, %q;";

/// Code that sets `%t` to tid.x and `%o` to the first of its `slots` slots.
fn lane_slots(slots: u32) -> String {
    format!(
        "    mov.u32 %t, %tid.x;\n    mul.wide.u32 %o, %t, {};\n    add.u64 %o, %out, %o;\n",
        8 * slots
    )
}

/// Runs `body` (after `lane_slots`) on one block of `block` threads; the
/// 32-bit values each thread stored in its `slots` slots (`store_lane`).
fn run_lanes(decls: &str, body: &str, block: u32, slots: u32) -> Vec<Vec<u64>> {
    let src = kernel(decls, &format!("{}{body}", lane_slots(slots)));
    let out = execute(&src, 1, block, &[0; 64], (block * slots * 8) as usize)
        .unwrap_or_else(|err| panic!("{err}\n{src}"));
    words(&out)
        .chunks(slots as usize)
        .map(|lane| lane.iter().map(|&slot| low32(slot)).collect())
        .collect()
}

/// Stores 32-bit registers into the thread's slots.
fn store_lane(regs: &[&str]) -> String {
    regs.iter()
        .enumerate()
        .map(|(i, r)| format!("    st.global.u32 [%o+{}], {r};\n", 8 * i))
        .collect()
}

#[test]
fn vote_sync_ballot_any_and_all() {
    // p = lane is a multiple of 3; q = true
    let body = format!(
        "    mov.u32 %r, %laneid;\n    rem.u32 %r, %r, 3;\n    setp.eq.u32 %p, %r, 0;\n    \
         setp.eq.u32 %q, %r, %r;\n    vote.sync.ballot.b32 %r, %p, 0xFFFFFFFF;\n    \
         vote.sync.any.pred %p, %p, -1;\n    selp.b32 %s, 1, 0, %p;\n    \
         mov.u32 %u, %laneid;\n    setp.lt.u32 %p, %u, 3;\n    \
         vote.sync.all.pred %p, %p, -1;\n    selp.b32 %u, 1, 0, %p;\n    \
         vote.sync.all.pred %q, %q, -1;\n    selp.b32 %v, 1, 0, %q;\n{}",
        store_lane(&["%r", "%s", "%u", "%v"])
    );
    // two warps: each forms its own word from its own lanes
    let lanes = run_lanes(WARP_DECLS, &body, 64, 4);
    for (tid, lane) in lanes.iter().enumerate() {
        assert_eq!(lane, &[0x4924_9249, 1, 0, 1], "thread {tid}");
    }
    // a block of 20 threads is one partial warp: its mask is 0xFFFFF
    let body = format!(
        "    mov.u32 %r, %laneid;\n    setp.ge.u32 %p, %r, 18;\n    \
         vote.sync.ballot.b32 %r, %p, 0xFFFFF;\n{}",
        store_lane(&["%r"])
    );
    for lane in run_lanes(WARP_DECLS, &body, 20, 1) {
        assert_eq!(lane, [0xC_0000]);
    }
}

/// Lane `lane`'s source lane and predicate for `shfl.sync` (the ISA's
/// pseudocode, written out again here independently of the interpreter).
fn expected_shuffle(mode: &str, lane: i64, b: i64, c: i64) -> (i64, bool) {
    let clamp = c & 0x1F;
    let segmask = (c >> 8) & 0x1F;
    let max_lane = (lane & segmask) | (clamp & !segmask);
    let (j, ok) = match mode {
        "up" => (lane - b, lane - b >= max_lane),
        "down" => (lane + b, lane + b <= max_lane),
        "bfly" => (lane ^ b, (lane ^ b) <= max_lane),
        _ => (
            (lane & segmask) | (b & !segmask),
            ((lane & segmask) | (b & !segmask)) <= max_lane,
        ),
    };
    if ok {
        (j, true)
    } else {
        (lane, false)
    }
}

#[test]
fn shfl_sync_modes_clamps_and_segments() {
    // value of lane j: 100 + j; c = 0x1F (whole warp), or 0x181F (segments
    // of 8 lanes: segmask 0x18), or 0 for up (clamp at lane 0)
    for (mode, b, c) in [
        ("idx", 5, 0x1F),
        ("idx", 2, 0x181F),
        ("idx", 31, 0x1807),
        ("down", 1, 0x1F),
        ("down", 3, 0x181F),
        ("up", 1, 0),
        ("up", 2, 0x1800),
        ("bfly", 1, 0x1F),
        ("bfly", 16, 0x1F),
        ("bfly", 4, 0x181F),
    ] {
        let body = format!(
            "    mov.u32 %r, %laneid;\n    add.u32 %r, %r, 100;\n    \
             shfl.sync.{mode}.b32 %s|%p, %r, {b}, {c}, 0xFFFFFFFF;\n    \
             selp.b32 %u, 1, 0, %p;\n    shfl.sync.{mode}.b32 %v, %r, {b}, {c}, -1;\n{}",
            store_lane(&["%s", "%u", "%v"])
        );
        for (lane, got) in run_lanes(WARP_DECLS, &body, 32, 3).iter().enumerate() {
            let (j, ok) = expected_shuffle(mode, lane as i64, b, c);
            assert_eq!(
                got,
                &[100 + j as u64, u64::from(ok), 100 + j as u64],
                "{mode} b {b} c {c:#x} lane {lane}"
            );
        }
    }
    // register operands for b and c, and d the same register as a
    let body = format!(
        "    mov.u32 %r, %laneid;\n    mov.u32 %s, 7;\n    mov.u32 %u, 0x1F;\n    \
         shfl.sync.idx.b32 %r, %r, %s, %u, -1;\n{}",
        store_lane(&["%r"])
    );
    for lane in run_lanes(WARP_DECLS, &body, 32, 1) {
        assert_eq!(lane, [7]);
    }
}

#[test]
fn activemask_names_the_lanes_that_run_it_together() {
    // lanes below 10 take a branch; both sides read activemask
    let body = format!(
        "    mov.u32 %r, %laneid;\n    setp.lt.u32 %p, %r, 10;\n@%p bra LOW;\n    \
         activemask.b32 %s;\n    bra DONE;\nLOW:\n    activemask.b32 %s;\nDONE:\n    \
         activemask.b32 %u;\n{}",
        store_lane(&["%s", "%u"])
    );
    for (lane, got) in run_lanes(WARP_DECLS, &body, 24, 2).iter().enumerate() {
        let branch = if lane < 10 { 0x3FF } else { 0xFF_FC00 };
        assert_eq!(got, &[branch, 0xFF_FFFF], "lane {lane}");
    }
}

#[test]
fn brev_popc_clz_bfe_prmt_div_rem() {
    let decls = "    .reg .b32 %a, %b, %c, %d, %e, %f, %g, %h;\n    .reg .b64 %x, %y, %z;";
    let out = run(
        decls,
        &format!(
            "    mov.b32 %a, 0x12345678;\n    brev.b32 %b, %a;\n    popc.b32 %c, %a;\n    \
             clz.b32 %d, %a;\n    mov.b64 %x, 0x0000000100000003;\n    brev.b64 %y, %x;\n    \
             popc.b64 %e, %x;\n    clz.b64 %f, %x;\n    mov.b32 %g, 0;\n    clz.b32 %g, %g;\n    \
             mov.b64 %z, 0;\n    clz.b64 %h, %z;\n{}",
            "    st.global.u32 [%out], %b;\n    st.global.u32 [%out+8], %c;\n    \
             st.global.u32 [%out+16], %d;\n    st.global.u64 [%out+24], %y;\n    \
             st.global.u32 [%out+32], %e;\n    st.global.u32 [%out+40], %f;\n    \
             st.global.u32 [%out+48], %g;\n    st.global.u32 [%out+56], %h;"
        ),
        8,
    );
    let got: Vec<u64> = out
        .iter()
        .enumerate()
        .map(|(i, &v)| if i == 3 { v } else { low32(v) })
        .collect();
    assert_eq!(
        got,
        [0x1E6A_2C48, 13, 3, 0xC000_0000_8000_0000, 3, 31, 32, 64]
    );
    // bfe: unsigned zero-fills, signed copies the field's top bit, a field
    // past the source's end is cut (unsigned) or sign-filled (signed)
    let out = run(
        decls,
        "    mov.b32 %a, 0xF0F0A5C3;\n    bfe.u32 %b, %a, 4, 8;\n    bfe.s32 %c, %a, 8, 8;\n    \
         bfe.s32 %d, %a, 0, 4;\n    bfe.u32 %e, %a, 28, 8;\n    bfe.s32 %f, %a, 28, 8;\n    \
         bfe.u32 %g, %a, 4, 0;\n    mov.b64 %x, -2;\n    bfe.u64 %y, %x, 60, 4;\n    \
         st.global.u32 [%out], %b;\n    st.global.u32 [%out+8], %c;\n    \
         st.global.u32 [%out+16], %d;\n    st.global.u32 [%out+24], %e;\n    \
         st.global.u32 [%out+32], %f;\n    st.global.u32 [%out+40], %g;\n    \
         st.global.u64 [%out+48], %y;",
        7,
    );
    let got: Vec<u64> = out
        .iter()
        .enumerate()
        .map(|(i, &v)| if i == 6 { v } else { low32(v) })
        .collect();
    assert_eq!(got, [0x5C, 0xFFFF_FFA5, 3, 0xF, 0xFFFF_FFFF, 0, 0xF]);
    // prmt: bytes of {b, a} by nibble; bit 3 of a nibble replicates the sign
    let out = run(
        decls,
        "    mov.b32 %a, 0x44332211;\n    mov.b32 %b, 0x88776655;\n    \
         prmt.b32 %c, %a, %b, 0x3210;\n    prmt.b32 %d, %a, %b, 0x7654;\n    \
         prmt.b32 %e, %a, %b, 0x0415;\n    prmt.b32 %f, %a, %b, 0x8F0F;\n    \
         st.global.u32 [%out], %c;\n    st.global.u32 [%out+8], %d;\n    \
         st.global.u32 [%out+16], %e;\n    st.global.u32 [%out+24], %f;",
        4,
    );
    let got: Vec<u64> = out.into_iter().map(low32).collect();
    assert_eq!(got, [0x4433_2211, 0x8877_6655, 0x1155_2266, 0x00FF_11FF]);
    // div and rem truncate toward zero, by signedness
    let out = run(
        decls,
        "    mov.b32 %a, -7;\n    div.s32 %b, %a, 2;\n    rem.s32 %c, %a, 2;\n    \
         div.u32 %d, %a, 2;\n    rem.u32 %e, %a, 10;\n    mov.b64 %x, 1000000000000;\n    \
         div.u64 %y, %x, 7;\n    rem.u64 %z, %x, 7;\n    \
         st.global.u32 [%out], %b;\n    st.global.u32 [%out+8], %c;\n    \
         st.global.u32 [%out+16], %d;\n    st.global.u32 [%out+24], %e;\n    \
         st.global.u64 [%out+32], %y;\n    st.global.u64 [%out+40], %z;",
        6,
    );
    assert_eq!(
        [
            low32(out[0]),
            low32(out[1]),
            low32(out[2]),
            low32(out[3]),
            out[4],
            out[5]
        ],
        [
            (-3i32) as u32 as u64,
            (-1i32) as u32 as u64,
            0x7FFF_FFFC,
            (0xFFFF_FFF9u32 % 10) as u64,
            1_000_000_000_000 / 7,
            1_000_000_000_000 % 7
        ]
    );
}

#[test]
fn division_by_zero_traps() {
    let kind = trap_of(
        "    .reg .b32 %a;",
        "    mov.u32 %a, 0;\n    div.u32 %a, 5, %a;",
        &[],
        1,
        1,
    );
    assert_eq!(kind, TrapKind::DivideByZero);
}

/// The trap of `body` (after `lane_slots(1)`) run on one block.
fn warp_trap(body: &str, block: u32) -> TrapKind {
    trap_of(
        WARP_DECLS,
        &format!("{}{body}", lane_slots(1)),
        &[0; 64],
        1,
        block,
    )
}

#[test]
fn a_member_mask_other_than_the_lanes_there_traps() {
    // a partial mask on a converged warp
    match warp_trap(
        "    setp.eq.u32 %p, %t, %t;\n    vote.sync.ballot.b32 %r, %p, 0xFFFF;",
        32,
    ) {
        TrapKind::MemberMask { mask, arrived, .. } => {
            assert_eq!((mask, arrived), (0xFFFF, 0xFFFF_FFFF));
        }
        other => panic!("{other:?}"),
    }
    // the full mask on a partial warp (a block of 16 threads)
    match warp_trap(
        "    mov.u32 %r, 1;\n    shfl.sync.idx.b32 %r, %r, 0, 0x1F, 0xFFFFFFFF;",
        16,
    ) {
        TrapKind::MemberMask {
            mask,
            arrived,
            present,
            ..
        } => assert_eq!((mask, arrived, present), (u32::MAX, 0xFFFF, 0xFFFF)),
        other => panic!("{other:?}"),
    }
    // the full mask while lanes have exited
    match warp_trap(
        "    setp.lt.u32 %p, %t, 4;\n@%p ret;\n    activemask.b32 %r;\n    \
         vote.sync.ballot.b32 %r, %p, 0xFFFFFFFF;",
        32,
    ) {
        TrapKind::MemberMask {
            arrived, exited, ..
        } => assert_eq!((arrived, exited), (0xFFFF_FFF0, 0xF)),
        other => panic!("{other:?}"),
    }
    // lanes disagreeing on the mask
    match warp_trap(
        "    setp.eq.u32 %p, %t, %t;\n    mov.u32 %r, -1;\n    setp.eq.u32 %q, %t, 5;\n\
         @%q mov.u32 %r, 0x20;\n    vote.sync.any.pred %p, %p, %r;",
        32,
    ) {
        TrapKind::MemberMask { mask, .. } => assert_eq!(mask, 0x20),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_collective_in_a_divergent_branch_traps() {
    // both sides of a branch ballot with the full mask
    match warp_trap(
        "    setp.lt.u32 %p, %t, 8;\n@%p bra LOW;\n    \
         vote.sync.ballot.b32 %r, %p, 0xFFFFFFFF;\n    bra DONE;\nLOW:\n    \
         vote.sync.ballot.b32 %r, %p, 0xFFFFFFFF;\nDONE:",
        32,
    ) {
        TrapKind::MemberMask {
            arrived, elsewhere, ..
        } => {
            assert_eq!(arrived | elsewhere, u32::MAX);
            assert!(arrived == 0xFF || arrived == 0xFFFF_FF00, "{arrived:#x}");
        }
        other => panic!("{other:?}"),
    }
    // a ballot under a guard that only some lanes pass
    match warp_trap(
        "    setp.lt.u32 %p, %t, 8;\n    mov.u32 %r, 0;\n\
         @%p vote.sync.ballot.b32 %r, %p, 0xFFFFFFFF;",
        32,
    ) {
        TrapKind::MemberMask {
            arrived, exited, ..
        } => assert_eq!((arrived, exited), (0xFF, 0xFFFF_FF00)),
        other => panic!("{other:?}"),
    }
    // but a branch whose lanes each use exactly their own lanes is fine
    let body = format!(
        "    setp.lt.u32 %p, %t, 8;\n@%p bra LOW;\n    \
         vote.sync.ballot.b32 %r, %p, 0xFFFFFF00;\n    bra DONE;\nLOW:\n    \
         vote.sync.ballot.b32 %r, %p, 0xFF;\nDONE:\n{}",
        store_lane(&["%r"])
    );
    for (lane, got) in run_lanes(WARP_DECLS, &body, 32, 1).iter().enumerate() {
        assert_eq!(got, &[if lane < 8 { 0xFF } else { 0 }], "lane {lane}");
    }
}

/// Two iterations of a loop whose ballot lane 0 runs in the second
/// iteration only and the other lanes in the first only, each with `mask0`
/// (lane 0's) and `mask` (the others').
fn alternating_ballot(mask0: &str, mask: &str) -> String {
    format!(
        "    mov.u32 %s, 0;\n    mov.u32 %v, 0;\n    setp.eq.u32 %q, %t, 0;\n    \
         mov.u32 %r, {mask};\n@%q mov.u32 %r, {mask0};\nLOOP:\n    \
         setp.eq.u32 %p, %s, 1;\n@!%q setp.eq.u32 %p, %s, 0;\n    mov.u32 %u, 0;\n\
         @%p vote.sync.ballot.b32 %u, %q, %r;\n    or.b32 %v, %v, %u;\n    \
         add.u32 %s, %s, 1;\n    setp.lt.u32 %p, %s, 2;\n@%p bra LOOP;\n{}",
        store_lane(&["%v"])
    )
}

#[test]
fn lanes_of_different_loop_iterations_do_not_meet() {
    // All 32 lanes stop at the same ballot instruction, but lanes 1-31 on
    // their first pass and lane 0 on its second: they are two groups, and
    // the full mask matches neither.
    match warp_trap(&alternating_ballot("-1", "-1"), 32) {
        TrapKind::MemberMask { arrived, mask, .. } => {
            assert_eq!(mask, u32::MAX);
            assert!(arrived == 0xFFFF_FFFE || arrived == 1, "{arrived:#x}");
        }
        other => panic!("{other:?}"),
    }
    // With each group's own mask it runs: lane 0's ballot sees only its
    // predicate (true), the others' only theirs (false).
    for (lane, got) in run_lanes(WARP_DECLS, &alternating_ballot("1", "0xFFFFFFFE"), 32, 1)
        .iter()
        .enumerate()
    {
        assert_eq!(got, &[u64::from(lane == 0)], "lane {lane}");
    }
}

#[test]
fn shfl_from_a_lane_outside_the_mask_traps() {
    match warp_trap(
        "    setp.lt.u32 %p, %t, 16;\n@!%p ret;\n    mov.u32 %r, 1;\n    \
         shfl.sync.idx.b32 %r, %r, 20, 0x1F, 0xFFFF;",
        32,
    ) {
        TrapKind::InactiveSource { source } => assert_eq!(source, 20),
        other => panic!("{other:?}"),
    }
}

#[test]
fn collective_forms_outside_the_subset_are_rejected() {
    let decls = "    .reg .pred %p;\n    .reg .b32 %r;\n    .reg .b64 %rd;";
    for (body, expected) in [
        ("    vote.ballot.b32 %r, %p;", ".sync"),
        ("    vote.sync.uni.pred %p, %p, -1;", ".uni"),
        (
            "    vote.sync.ballot.b64 %rd, %p, -1;",
            "does not take type",
        ),
        (
            "    vote.sync.any.pred %r, %p, -1;",
            ".pred register is required",
        ),
        ("    shfl.idx.b32 %r, %r, 0, 31;", ".sync"),
        (
            "    shfl.sync.idx.b64 %rd, %rd, 0, 31, -1;",
            "does not take type",
        ),
        ("    shfl.sync.idx.b32 %r, %r, 0, 31;", "takes 5 operands"),
        (
            "    shfl.sync.idx.b32 %r|%r, %r, 0, 31, -1;",
            ".pred register",
        ),
        ("    activemask.b64 %rd;", "does not take type"),
        ("    prmt.b32.f4e %r, %r, %r, %r;", ".f4e"),
        ("    popc.b32 %rd, %r;", "not compatible"),
    ] {
        let message = rejected(decls, body);
        assert!(message.contains(expected), "{body}: {message}");
    }
}
