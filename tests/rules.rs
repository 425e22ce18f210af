//! One test per rule of the semantics table in DESIGN.md, named as a sentence. Each builds a
//! small image, runs engine operations and checks the container layer, the merged view and the
//! events through `expect` snapshots. Every expectation here was checked against a real
//! overlay mount (kernel 6.18, default options unless a test says otherwise).
// Native only: `wasm-pack test` builds every test file for wasm32 (see tests/architecture.rs).
#![cfg(not(target_arch = "wasm32"))]

mod fixture;

use expect_test::{expect, Expect};
use fixture::{container, p, render_events, render_layer, render_merged};
use layerlab::container::OpenFlags;
use layerlab::{Container, ErrorKind, Options};

fn check_upper(c: &Container, expect: Expect) {
    expect.assert_eq(&render_layer(c.upper()));
}

fn check_merged(c: &Container, expect: Expect) {
    expect.assert_eq(&render_merged(c));
}

fn check_events(events: &[layerlab::Event], expect: Expect) {
    expect.assert_eq(&render_events(events));
}

const WRITE: OpenFlags = OpenFlags {
    write: true,
    create: false,
    excl: false,
    truncate: false,
};

#[test]
fn lookup_searches_top_down_and_a_file_hides_a_lower_directory() {
    let c = container(
        &[&["a/", "a/x=1", "b=low"], &["a=file over dir", "b=high"]],
        Options::default(),
    );
    check_merged(
        &c,
        expect![[r#"
            f /a @1 "file over dir"
            f /b @1 "high"
        "#]],
    );
    assert_eq!(
        c.stat(&p("a/x")).unwrap_err().kind(),
        ErrorKind::NotADirectory
    );
}

#[test]
fn merged_directories_show_the_topmost_layers_metadata_and_all_children() {
    let c = container(&[&["d/", "d/x=1"], &["d/", "d/y=2"]], Options::default());
    check_merged(
        &c,
        expect![[r#"
            d /d @1
            f /d/x @0 "1"
            f /d/y @1 "2"
        "#]],
    );
}

#[test]
fn unlink_of_a_lower_file_leaves_a_whiteout() {
    let mut c = container(&[&["etc/", "etc/hosts=127.0.0.1"]], Options::default());
    let ev = c.unlink(&p("etc/hosts")).unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /etc (0 B) [0, 1] meta
            whiteout /etc/hosts (0 B) [0, 1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            d 755 /etc
            w /etc/hosts
        "#]],
    );
    check_merged(
        &c,
        expect![[r#"
            d /etc @1
        "#]],
    );
}

#[test]
fn unlink_of_a_container_only_file_just_removes_it() {
    let mut c = container(&[&["d/"]], Options::default());
    c.write_file(&p("d/new"), b"x", false).unwrap();
    let ev = c.unlink(&p("d/new")).unwrap();
    check_events(
        &ev,
        expect![[r#"
            remove /d/new (0 B) [1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            d 755 /d
        "#]],
    );
}

#[test]
fn an_opaque_directory_hides_everything_lower_layers_have_under_it() {
    let c = container(
        &[
            &["d/", "d/old=1", "d/sub/", "d/sub/deep=2"],
            &["d/!", "d/new=3"],
        ],
        Options::default(),
    );
    check_merged(
        &c,
        expect![[r#"
            d /d @1
            f /d/new @1 "3"
        "#]],
    );
}

#[test]
fn readdir_merges_layers_drops_duplicates_hides_whiteouts_and_sorts() {
    let c = container(
        &[
            &["d/", "d/b=1", "d/c=1", "d/a=1"],
            &["d/", "d/b=2", "d/c~", "d/0=2"],
        ],
        Options::default(),
    );
    let names: Vec<&str> = c
        .readdir(&p("d"))
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["0", "a", "b"]);
}

#[test]
fn open_for_write_copies_up_with_data_and_parents_first() {
    let mut c = container(&[&["a/", "a/b/", "a/b/f=hello 600"]], Options::default());
    let ev = c.open(&p("a/b/f"), WRITE, 0o644).unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /a (0 B) [0, 1] meta
            copy-up /a/b (0 B) [0, 1] meta
            copy-up /a/b/f (5 B) [0, 1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            d 755 /a
            d 755 /a/b
            f 600 /a/b/f "hello"
        "#]],
    );
}

#[test]
fn open_with_o_trunc_copies_up_even_if_nothing_is_written() {
    let mut c = container(&[&["f=12345"]], Options::default());
    let flags = OpenFlags {
        write: true,
        truncate: true,
        ..OpenFlags::default()
    };
    let ev = c.open(&p("f"), flags, 0o644).unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /f (5 B) [0, 1]
            truncate /f (0 B) [1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            f 644 /f ""
        "#]],
    );
}

#[test]
fn a_read_only_open_never_copies_up() {
    let mut c = container(&[&["f=12345"]], Options::default());
    assert!(c.open(&p("f"), OpenFlags::default(), 0).unwrap().is_empty());
    assert_eq!(c.read(&p("f")).unwrap().bytes(), b"12345");
    check_upper(&c, expect![[""]]);
}

#[test]
fn chmod_copies_up_the_whole_file_without_metacopy() {
    let mut c = container(&[&["bin/", "bin/tool=0123456789 755"]], Options::default());
    let ev = c.chmod(&p("bin/tool"), 0o700).unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /bin (0 B) [0, 1] meta
            copy-up /bin/tool (10 B) [0, 1]
            chmod /bin/tool (0 B) [1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            d 755 /bin
            f 700 /bin/tool "0123456789"
        "#]],
    );
}

#[test]
fn with_metacopy_chmod_copies_metadata_only_and_the_data_follows_on_first_write() {
    let opts = Options {
        metacopy: true,
        ..Options::default()
    };
    let mut c = container(&[&["tool=0123456789 755"]], opts);
    let ev = c.chmod(&p("tool"), 0o700).unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /tool (0 B) [0, 1] meta
            chmod /tool (0 B) [1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            f 700 /tool "0123456789" metacopy
        "#]],
    );
    assert_eq!(c.upper_bytes(), 0);
    let ev = c.append(&p("tool"), b"!").unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /tool (10 B) [0, 1]
            write /tool (1 B) [1]
        "#]],
    );
    assert_eq!(c.upper_bytes(), 11);
}

#[test]
fn utimes_and_chown_copy_up_too() {
    let mut c = container(&[&["f=abc"]], Options::default());
    c.utimes(&p("f"), 42).unwrap();
    c.chown(&p("/f"), Some(1000), None).unwrap();
    let st = c.stat(&p("f")).unwrap();
    assert_eq!((st.mtime, st.uid, st.layer), (42, 1000, 1));
}

#[test]
fn renaming_a_lower_directory_fails_with_exdev() {
    let mut c = container(&[&["d/", "d/x=1"]], Options::default());
    let err = c.rename(&p("d"), &p("e")).unwrap_err();
    assert_eq!(err.errno(), "EXDEV");
    check_upper(&c, expect![[""]]);
}

#[test]
fn renaming_a_merged_directory_fails_with_exdev_too() {
    let mut c = container(&[&["d/", "d/x=1"]], Options::default());
    c.write_file(&p("d/y"), b"2", false).unwrap();
    assert_eq!(c.rename(&p("d"), &p("e")).unwrap_err().errno(), "EXDEV");
}

#[test]
fn with_redirect_dir_a_lower_directory_is_copied_up_empty_with_a_redirect_and_a_whiteout() {
    let opts = Options {
        redirect_dir: true,
        ..Options::default()
    };
    let mut c = container(&[&["d/", "d/x=1"]], opts);
    let ev = c.rename(&p("d"), &p("e")).unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /d (0 B) [0, 1] meta
            rename /d -> /e (0 B) [1]
            redirect /e -> /d (0 B) [1]
            whiteout /d (0 B) [0, 1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            w /d
            d 755 /e redirect=/d
        "#]],
    );
    check_merged(
        &c,
        expect![[r#"
            d /e @1
            f /e/x @0 "1"
        "#]],
    );
}

#[test]
fn with_redirect_dir_a_directory_moved_out_of_a_renamed_directory_keeps_its_lower_contents() {
    // Checked on kernel 6.18 (redirect_dir=on): `mv d x; mv x/e y` leaves `y` with the redirect
    // "/d/e", the lower directory's own path built from its parent's redirect, and `y/f`
    // shows. A redirect to the path it had in the merged view ("/x/e") would name no lower
    // directory and hide `f`.
    let opts = Options {
        redirect_dir: true,
        ..Options::default()
    };
    let mut c = container(&[&["d/", "d/e/", "d/e/f=x"]], opts);
    c.rename(&p("d"), &p("x")).unwrap();
    let ev = c.rename(&p("x/e"), &p("y")).unwrap();
    assert!(ev.iter().any(|e| e.message()
        == "redirect: /y is marked with a redirect to /d/e, so it keeps merging with the lower directory it was renamed from (redirect_dir=on)"));
    check_upper(
        &c,
        expect![[r#"
            w /d
            d 755 /x redirect=/d
            w /x/e
            d 755 /y redirect=/d/e
        "#]],
    );
    check_merged(
        &c,
        expect![[r#"
            d /x @1
            d /y @1
            f /y/f @0 "x"
        "#]],
    );
}

#[test]
fn renaming_a_lower_file_copies_it_up_and_whites_out_the_old_name() {
    let mut c = container(&[&["a=data"]], Options::default());
    let ev = c.rename(&p("a"), &p("b")).unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /a (4 B) [0, 1]
            rename /a -> /b (0 B) [1]
            whiteout /a (0 B) [0, 1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            w /a
            f 644 /b "data"
        "#]],
    );
}

#[test]
fn a_container_only_directory_moved_into_a_merged_directory_becomes_opaque() {
    // Kernel: ovl_rename sets opaque on a non-opaque upper directory landing in a merged parent.
    let mut c = container(&[&["d/", "d/x=1"]], Options::default());
    c.mkdir(&p("n"), 0o755).unwrap();
    c.rename(&p("n"), &p("d/n")).unwrap();
    check_upper(
        &c,
        expect![[r#"
            d 755 /d
            d 755 /d/n opaque
        "#]],
    );
}

#[test]
fn rmdir_of_a_merged_directory_is_enotempty_until_every_lower_child_is_whited_out() {
    let mut c = container(&[&["d/", "d/x=1", "d/y=2"]], Options::default());
    assert_eq!(c.rmdir(&p("d")).unwrap_err().errno(), "ENOTEMPTY");
    c.unlink(&p("d/x")).unwrap();
    assert_eq!(c.rmdir(&p("d")).unwrap_err().errno(), "ENOTEMPTY");
    c.unlink(&p("d/y")).unwrap();
    let ev = c.rmdir(&p("d")).unwrap();
    check_events(
        &ev,
        expect![[r#"
            whiteout /d (0 B) [0, 1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            w /d
        "#]],
    );
}

#[test]
fn a_file_created_over_a_whiteout_replaces_it() {
    let mut c = container(&[&["f=old"]], Options::default());
    c.unlink(&p("f")).unwrap();
    c.write_file(&p("f"), b"new", false).unwrap();
    check_upper(
        &c,
        expect![[r#"
            f 644 /f "new"
        "#]],
    );
    // Removing it again needs the whiteout back, because layer 0 still has f.
    c.unlink(&p("f")).unwrap();
    check_upper(
        &c,
        expect![[r#"
            w /f
        "#]],
    );
}

#[test]
fn rm_rf_then_mkdir_gives_an_empty_opaque_directory() {
    let mut c = container(
        &[&["d/", "d/x=1", "d/sub/", "d/sub/y=2"]],
        Options::default(),
    );
    c.unlink(&p("d/sub/y")).unwrap();
    c.rmdir(&p("d/sub")).unwrap();
    c.unlink(&p("d/x")).unwrap();
    c.rmdir(&p("d")).unwrap();
    let ev = c.mkdir(&p("d"), 0o755).unwrap();
    check_events(
        &ev,
        expect![[r#"
            mkdir /d (0 B) [1]
            opaque /d (0 B) [1, 0]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            d 755 /d opaque
        "#]],
    );
    assert!(c.readdir(&p("d")).unwrap().is_empty());
    // Inside an opaque directory nothing lower is visible, so removals need no whiteouts.
    c.write_file(&p("d/x"), b"3", false).unwrap();
    c.unlink(&p("d/x")).unwrap();
    check_upper(
        &c,
        expect![[r#"
            d 755 /d opaque
        "#]],
    );
}

#[test]
fn with_index_off_writing_one_name_of_a_lower_hard_link_pair_breaks_the_pair() {
    let mut c = container(&[&["a=v1", "b == a"]], Options::default());
    let ev = c.append(&p("a"), b"+").unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /a (2 B) [0, 1]
            hardlink-break /a (0 B) [0, 1]
            write /a (1 B) [1]
        "#]],
    );
    assert_eq!(c.read(&p("a")).unwrap().bytes(), b"v1+");
    assert_eq!(c.read(&p("b")).unwrap().bytes(), b"v1");
}

#[test]
fn with_index_on_both_names_of_a_lower_hard_link_see_the_change() {
    let opts = Options {
        index: true,
        ..Options::default()
    };
    let mut c = container(&[&["a=v1", "b == a"]], opts);
    c.append(&p("a"), b"+").unwrap();
    assert_eq!(c.read(&p("b")).unwrap().bytes(), b"v1+");
    c.append(&p("b"), b"!").unwrap();
    assert_eq!(c.read(&p("a")).unwrap().bytes(), b"v1+!");
    check_upper(
        &c,
        expect![[r#"
            f 644 /a "v1+!" nlink=2
            f 644 /b "v1+!" nlink=2
        "#]],
    );
}

#[test]
fn with_index_on_a_copied_up_hard_link_counts_the_lower_names_that_still_show_it() {
    // Checked on kernel 6.18 (index=on): 2, 2 after the copy-up, 1 after `rm b`, 2 after
    // `ln a c`, still 2 after `mv c d`. GNU cp -a decides by this count whether it replaces a
    // target or writes into it (kernel_diff seeds 2, 13 and 18 with the four option sets).
    let opts = Options {
        index: true,
        ..Options::default()
    };
    let mut c = container(&[&["a=v1", "b == a"]], opts);
    let nlink = |c: &layerlab::Container, name: &str| c.stat(&p(name)).unwrap().nlink;
    c.append(&p("a"), b"+").unwrap();
    assert_eq!((nlink(&c, "a"), nlink(&c, "b")), (2, 2));
    assert_eq!(c.stat(&p("a")).unwrap().ino, c.stat(&p("b")).unwrap().ino);
    c.unlink(&p("b")).unwrap();
    assert_eq!(nlink(&c, "a"), 1);
    c.link(&p("a"), &p("c")).unwrap();
    assert_eq!((nlink(&c, "a"), nlink(&c, "c")), (2, 2));
    c.rename(&p("c"), &p("d")).unwrap();
    assert_eq!((nlink(&c, "a"), nlink(&c, "d")), (2, 2));
}

#[test]
fn with_index_on_a_copied_up_hard_link_counts_lower_names_that_image_layers_hide() {
    // Checked on kernel 6.18 (index=on): `a` and `b` are one inode of the bottom layer and a
    // layer above whites `b` out. The kernel starts the count from the lower file system's 2,
    // which no overlay operation can lower through `b`: `a` shows 2 before and after its
    // copy-up, 3 after `ln a c`, 2 after `rm c` (kernel_diff_more_commands seed 67, case 215:
    // GNU cp -a then replaces a symlink to `a` instead of writing through it).
    let opts = Options {
        index: true,
        ..Options::default()
    };
    let mut c = container(&[&["b=v1", "a == b"], &["b~"]], opts);
    let nlink = |c: &layerlab::Container, name: &str| c.stat(&p(name)).unwrap().nlink;
    assert_eq!(nlink(&c, "a"), 2);
    c.append(&p("a"), b"x").unwrap();
    assert_eq!(nlink(&c, "a"), 2);
    c.link(&p("a"), &p("c")).unwrap();
    assert_eq!((nlink(&c, "a"), nlink(&c, "c")), (3, 3));
    c.unlink(&p("c")).unwrap();
    assert_eq!(nlink(&c, "a"), 2);
}

#[test]
fn with_index_on_removing_a_name_of_a_lower_hard_link_lowers_the_count_before_any_copy_up() {
    // Checked on kernel 6.18 (index=on): before it whites out a name of a lower hard link the
    // kernel indexes the inode (ovl_nlink_start), so the names left count one link fewer:
    // `rm b` leaves `a` at 1, `rm s2` leaves the symlink `s` at 1; with a third name that an
    // image layer hides, `rm y` leaves `x` at 2. Found by tests/model.rs.
    let opts = Options {
        index: true,
        ..Options::default()
    };
    let mut c = container(
        &[
            &[
                "a=v1", "b == a", "s -> t", "s2 == s", "x=v", "y == x", "z == x",
            ],
            &["z~"],
        ],
        opts,
    );
    let nlink = |c: &layerlab::Container, name: &str| c.stat(&p(name)).unwrap().nlink;
    assert_eq!((nlink(&c, "a"), nlink(&c, "s"), nlink(&c, "x")), (2, 2, 3));
    c.unlink(&p("b")).unwrap();
    c.unlink(&p("s2")).unwrap();
    c.unlink(&p("y")).unwrap();
    assert_eq!((nlink(&c, "a"), nlink(&c, "s"), nlink(&c, "x")), (1, 1, 2));
    // Replacing a name by a rename counts the same (kernel: `echo new > n; mv n q` leaves
    // `p` at 1).
    let mut c = container(&[&["p=v1", "q == p"]], opts);
    c.write_file(&p("n"), b"new", false).unwrap();
    c.rename(&p("n"), &p("q")).unwrap();
    assert_eq!((nlink(&c, "p"), nlink(&c, "q")), (1, 1));
}

#[test]
fn with_index_on_names_under_a_directory_renamed_with_a_redirect_still_count() {
    // Checked on kernel 6.18 (index, redirect_dir and metacopy on): `mv d/e d/a`, then
    // `ln e/d a` (link(2) of a symlink): `a`, `d/a/a` and `e/d` are one inode with 3 links.
    // Found by tests/model.rs.
    let opts = Options {
        index: true,
        redirect_dir: true,
        metacopy: true,
    };
    let mut c = container(
        &[&["d/", "d/e/", "d/e/a -> /a", "e/", "e/d == d/e/a"]],
        opts,
    );
    let nlink = |c: &layerlab::Container, name: &str| c.stat(&p(name)).unwrap().nlink;
    c.rename(&p("d/e"), &p("d/a")).unwrap();
    assert_eq!(nlink(&c, "d/a/a"), 2);
    c.link(&p("e/d"), &p("a")).unwrap();
    assert_eq!(
        (nlink(&c, "a"), nlink(&c, "d/a/a"), nlink(&c, "e/d")),
        (3, 3, 3)
    );
    assert_eq!(
        c.stat(&p("a")).unwrap().ino,
        c.stat(&p("d/a/a")).unwrap().ino
    );
}

#[test]
fn the_source_of_a_hard_link_is_copied_up_first() {
    let mut c = container(&[&["a=data"]], Options::default());
    let ev = c.link(&p("a"), &p("b")).unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /a (4 B) [0, 1]
            link /b -> /a (0 B) [1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            f 644 /a "data" nlink=2
            f 644 /b "data" nlink=2
        "#]],
    );
}

/// `ln` of a symlink without `-s` links the symlink itself, as link(2) does on Linux: one
/// inode with two names, whose stat shows one inode number and a link count of 2.
#[test]
fn hard_links_of_a_symlink_are_one_inode_with_a_link_count() {
    let mut c = container(&[&["l -> target", "l2 == l"]], Options::default());
    let st = |c: &Container, n: &str| c.stat(&p(n)).unwrap();
    assert_eq!(st(&c, "l").file_type, layerlab::FileType::Symlink);
    assert_eq!((st(&c, "l").nlink, st(&c, "l2").nlink), (2, 2));
    assert_eq!(st(&c, "l").ino, st(&c, "l2").ino);
    assert_eq!(st(&c, "l2").target.as_deref(), Some("target"));
    c.symlink("t2", &p("s")).unwrap();
    let ev = c.link(&p("s"), &p("s2")).unwrap();
    check_events(
        &ev,
        expect![[r#"
            link /s2 -> /s (0 B) [1]
        "#]],
    );
    check_upper(
        &c,
        expect![[r#"
            l /s -> t2 nlink=2
            l /s2 -> t2 nlink=2
        "#]],
    );
    assert_eq!(st(&c, "s").ino, st(&c, "s2").ino);
    assert_ne!(st(&c, "s").ino, st(&c, "l").ino);
    // Removing one name leaves the other, now with one link.
    c.unlink(&p("s")).unwrap();
    assert_eq!(st(&c, "s2").nlink, 1);
    assert_eq!(c.readlink(&p("s2")).unwrap(), "t2");
}

/// Checked on kernel 6.18: a renamed symlink keeps one link, whether it was the container's
/// (`ln -s x s; mv s t`) or an image layer's, copied up by the rename (`mv d/b e/a` over a
/// lower file). Found by the model test (`tests/model.rs`), which compares link counts.
#[test]
fn a_renamed_symlink_keeps_one_link() {
    let mut c = container(&[&["d/", "d/b -> /a", "e/", "e/a=x"]], Options::default());
    let nlink = |c: &Container, n: &str| c.stat(&p(n)).unwrap().nlink;
    c.rename(&p("d/b"), &p("e/a")).unwrap();
    assert_eq!(nlink(&c, "e/a"), 1);
    c.symlink("x", &p("s")).unwrap();
    c.rename(&p("s"), &p("t")).unwrap();
    assert_eq!(nlink(&c, "t"), 1);
    // The count is right inside the layer too (the rendering marks a count above 1).
    check_upper(
        &c,
        expect![[r#"
            d 755 /d
            w /d/b
            d 755 /e
            l /e/a -> /a
            l /t -> x
        "#]],
    );
}

/// Checked on kernel 6.18 (index=off): `chown -h 7 l` copies `l` up as a new inode with one
/// link and uid 7; `l2` stays the lower inode, still counting 2 links and owned by 0.
#[test]
fn with_index_off_copying_up_one_name_of_a_linked_lower_symlink_breaks_the_pair() {
    let mut c = container(&[&["l -> target", "l2 == l"]], Options::default());
    let ev = c.chown(&p("l"), Some(7), None).unwrap();
    check_events(
        &ev,
        expect![[r#"
            copy-up /l (6 B) [0, 1]
            hardlink-break /l (0 B) [0, 1]
            chown /l (0 B) [1]
        "#]],
    );
    let (l, l2) = (c.stat(&p("l")).unwrap(), c.stat(&p("l2")).unwrap());
    assert_eq!((l.nlink, l.uid), (1, 7));
    assert_eq!((l2.nlink, l2.uid), (2, 0));
    assert_ne!(l.ino, l2.ino);
    check_upper(
        &c,
        expect![[r#"
            l /l -> target
        "#]],
    );
}

/// Checked on kernel 6.18 (index=on): after `chown -h 7 l` both names show one inode owned by
/// 7 with 2 links, and `ln l2 l3` links the copied-up inode: 3 links, one inode number.
#[test]
fn with_index_on_a_copied_up_linked_symlink_keeps_its_other_names() {
    let opts = Options {
        index: true,
        ..Options::default()
    };
    let mut c = container(&[&["l -> target", "l2 == l"]], opts);
    c.chown(&p("l"), Some(7), None).unwrap();
    let st = |c: &Container, n: &str| c.stat(&p(n)).unwrap();
    assert_eq!((st(&c, "l").nlink, st(&c, "l2").nlink), (2, 2));
    assert_eq!((st(&c, "l").uid, st(&c, "l2").uid), (7, 7));
    assert_eq!(st(&c, "l").ino, st(&c, "l2").ino);
    c.link(&p("l2"), &p("l3")).unwrap();
    for n in ["l", "l2", "l3"] {
        assert_eq!(st(&c, n).nlink, 3, "{n}");
        assert_eq!(st(&c, n).ino, st(&c, "l").ino, "{n}");
    }
    check_upper(
        &c,
        expect![[r#"
            l /l -> target nlink=3
            l /l2 -> target nlink=3
            l /l3 -> target nlink=3
        "#]],
    );
}

/// A symlink the container layer has no room for fails with ENOSPC and leaves no inode
/// behind (its inode is made before its name is put in place).
#[test]
fn a_symlink_refused_by_the_entry_limit_leaves_no_inode_behind() {
    let mut c = container(&[], Options::default());
    c.set_limits(layerlab::Limits {
        max_entries: 1,
        ..layerlab::Limits::default()
    });
    c.symlink("t", &p("a")).unwrap();
    assert_eq!(c.symlink("t", &p("b")).unwrap_err().errno(), "ENOSPC");
    assert_eq!(c.upper().inodes.len(), 1);
}

#[test]
fn a_file_refused_by_the_entry_limit_leaves_no_inode_behind() {
    let mut c = container(&[], Options::default());
    c.set_limits(layerlab::Limits {
        max_entries: 1,
        ..layerlab::Limits::default()
    });
    c.write_file(&p("a"), b"x", false).unwrap();
    assert_eq!(
        c.write_file(&p("b"), b"y", false).unwrap_err().errno(),
        "ENOSPC"
    );
    assert_eq!(c.upper().inodes.len(), 1);
}

#[test]
fn a_user_may_not_create_a_name_that_begins_with_wh() {
    let mut c = container(&[], Options::default());
    let err = c.resolve(&p("/"), "/.wh.x", false).unwrap_err();
    assert_eq!(err.errno(), "EINVAL");
    assert!(layerlab::VPath::parse("/d/.wh..wh..opq").is_err());
    assert!(c.mkdir(&p("ok"), 0o755).is_ok());
}

#[test]
fn symlinks_resolve_inside_the_union_never_above_its_root() {
    let c = container(
        &[&[
            "etc/",
            "etc/hosts=h",
            "up -> ../../../etc",
            "abs -> /etc/hosts",
        ]],
        Options::default(),
    );
    let root = p("/");
    assert_eq!(c.resolve(&root, "up/hosts", true).unwrap(), p("etc/hosts"));
    assert_eq!(c.resolve(&root, "/abs", true).unwrap(), p("etc/hosts"));
    assert_eq!(c.resolve(&root, "/abs", false).unwrap(), p("abs"));
}

#[test]
fn more_than_forty_symlink_hops_is_eloop() {
    let c = container(&[&["a -> b", "b -> a"]], Options::default());
    assert_eq!(c.resolve(&p("/"), "a", true).unwrap_err().errno(), "ELOOP");
    let chain: Vec<String> = (0..41).map(|i| format!("s{i} -> s{}", i + 1)).collect();
    let mut lines: Vec<&str> = chain.iter().map(String::as_str).collect();
    lines.push("s41=end");
    let c = container(&[&lines], Options::default());
    assert_eq!(c.resolve(&p("/"), "s1", true).unwrap(), p("s41"));
    assert_eq!(c.resolve(&p("/"), "s0", true).unwrap_err().errno(), "ELOOP");
}

#[test]
fn long_names_and_paths_are_enametoolong() {
    let mut c = container(&[], Options::default());
    let long = "n".repeat(256);
    assert_eq!(
        c.resolve(&p("/"), &long, false).unwrap_err().errno(),
        "ENAMETOOLONG"
    );
    let deep = "d/".repeat(2100);
    assert_eq!(
        c.resolve(&p("/"), &deep, false).unwrap_err().errno(),
        "ENAMETOOLONG"
    );
    assert!(c.mkdir(&p(&"n".repeat(255)), 0o755).is_ok());
}

#[test]
fn image_layers_never_change() {
    let mut c = container(&[&["d/", "d/x=1", "f=2"]], Options::default());
    let before = fixture::render_layer(&c.image().layers()[0]);
    c.unlink(&p("d/x")).unwrap();
    c.append(&p("f"), b"3").unwrap();
    c.rmdir(&p("d")).unwrap();
    assert_eq!(fixture::render_layer(&c.image().layers()[0]), before);
}

#[test]
fn the_root_cannot_be_removed_or_renamed() {
    let mut c = container(&[], Options::default());
    assert_eq!(c.rmdir(&p("/")).unwrap_err().errno(), "EBUSY");
    assert_eq!(c.rename(&p("/"), &p("x")).unwrap_err().errno(), "EBUSY");
}

#[test]
fn limits_are_clear_errors() {
    let mut c = container(&[], Options::default());
    c.set_limits(layerlab::Limits {
        max_bytes: 10,
        max_entries: 2,
    });
    assert_eq!(
        c.write_file(&p("a"), b"0123456789x", false)
            .unwrap_err()
            .errno(),
        "ENOSPC"
    );
    c.mkdir(&p("b"), 0o755).unwrap();
    assert_eq!(c.mkdir(&p("c"), 0o755).unwrap_err().errno(), "ENOSPC");
}
