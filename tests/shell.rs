//! The shell, scenario by scenario: a script runs in a container on a small two-layer image,
//! and the test shows what it printed, its status, the events and the container layer after it.
//! Messages and statuses were checked against bash 5.2 and GNU coreutils 9.1 with `LC_ALL=C`.
// Native only: `wasm-pack test` builds every test file for wasm32 (see tests/architecture.rs).
#![cfg(not(target_arch = "wasm32"))]

use expect_test::{expect, Expect};
use layerlab::{Container, Image, Node, Options, Shell, VPath};
use std::fmt::Write as _;
use std::sync::Arc;

/// 2023-11-14 22:13:20 UTC: when the image layers were built.
const BUILT: i64 = 1_700_000_000;
/// One day later: the container's clock.
const NOW: i64 = BUILT + 86_400;

fn p(s: &str) -> VPath {
    VPath::parse(s).unwrap()
}

/// Layer 0: /etc (hosts, passwd, group), /app (main.py, a link to it, lib/ with two files),
/// /root and /tmp. Layer 1: /app/config.json and /etc/motd, so /app and /etc are merged.
fn image() -> Arc<Image> {
    let mut c = Container::new(Arc::new(Image::empty()), Options::default());
    c.set_clock(BUILT);
    for d in ["/etc", "/app", "/app/lib", "/root", "/tmp"] {
        c.mkdir(&p(d), 0o755).unwrap();
    }
    c.chmod(&p("/root"), 0o700).unwrap();
    c.chmod(&p("/tmp"), 0o1777).unwrap();
    let files: [(&str, &[u8]); 6] = [
        ("/etc/hosts", b"127.0.0.1 localhost\n"),
        (
            "/etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n",
        ),
        ("/etc/group", b"root:x:0:\nwww-data:x:33:\n"),
        ("/app/main.py", b"print('hi')\n"),
        ("/app/lib/util.py", b"def f():\n    return 1\n"),
        ("/app/lib/data.bin", &[7u8; 1024]),
    ];
    for (f, data) in files {
        c.write_file(&p(f), data, false).unwrap();
    }
    c.symlink("main.py", &p("/app/link")).unwrap();
    let layer0 = Arc::new(c.upper().clone());
    let mut c = Container::new(
        Arc::new(Image::new(vec![layer0.clone()]).unwrap()),
        Options::default(),
    );
    c.set_clock(BUILT);
    c.write_file(&p("/app/config.json"), b"{}\n", false)
        .unwrap();
    c.write_file(&p("/etc/motd"), b"welcome\n", false).unwrap();
    let layer1 = Arc::new(c.upper().clone());
    Arc::new(Image::new(vec![layer0, layer1]).unwrap())
}

fn shell() -> Shell {
    let mut c = Container::new(image(), Options::default());
    c.set_clock(NOW);
    Shell::new(c)
}

/// Runs `script` as `bash script` would and renders everything it did.
fn render(sh: &mut Shell, script: &str) -> String {
    let out = sh.run_script(script);
    let mut s = String::new();
    writeln!(s, "status {}", out.status).unwrap();
    if !out.stdout.is_empty() {
        writeln!(
            s,
            "stdout:\n{}",
            String::from_utf8_lossy(&out.stdout).trim_end()
        )
        .unwrap();
    }
    if !out.stderr.is_empty() {
        writeln!(
            s,
            "stderr:\n{}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        )
        .unwrap();
    }
    if !out.events.is_empty() {
        writeln!(s, "events:").unwrap();
        for e in &out.events {
            let to =
                e.to.as_deref()
                    .map(|t| format!(" -> {t}"))
                    .unwrap_or_default();
            let kind = serde_json::to_value(e.kind).unwrap();
            writeln!(s, "  {} {}{to}", kind.as_str().unwrap(), e.path).unwrap();
        }
    }
    let upper = sh.container().upper();
    let walk = upper.walk();
    if !walk.is_empty() {
        writeln!(s, "container layer:").unwrap();
    }
    for (path, node) in walk {
        let line = match node {
            Node::Dir(d) => format!(
                "dir {:04o}{}",
                d.meta.mode,
                if d.opaque { " opaque" } else { "" }
            ),
            Node::File(_) => {
                let i = upper.inode(node).unwrap();
                let data = if i.data.len() <= 64 {
                    format!("{:?}", String::from_utf8_lossy(i.data.bytes()))
                } else {
                    format!("({} bytes)", i.data.len())
                };
                format!(
                    "file {:04o} {}:{} {data}",
                    i.meta.mode, i.meta.uid, i.meta.gid
                )
            }
            Node::Symlink(_) => {
                let i = upper.inode(node).unwrap();
                format!("symlink -> {}", i.target.as_deref().unwrap_or(""))
            }
            Node::Whiteout => "whiteout".to_string(),
        };
        writeln!(s, "  {path} {line}").unwrap();
    }
    s
}

fn check(script: &str, expect: Expect) {
    check_with(Options::default(), script, expect);
}

/// [`check`] with the overlayfs toggles set.
fn check_with(opts: Options, script: &str, expect: Expect) {
    let mut sh = shell();
    sh.container_mut().set_options(opts);
    expect.assert_eq(&render(&mut sh, script));
}

#[test]
fn echo_and_printf_follow_bash() {
    check(
        r#"echo a  "b  c" 'd'\ e; echo -n x; echo -e 'y\tz'; echo -ne 'q\n'; echo -x
printf '%s=%d\n' a 1 b 2 c; printf '[%5s|%-3s|%03d]\n' ab c 7; printf '%d\n' 3x"#,
        expect![[r#"
            status 1
            stdout:
            a b  c d e
            xy	z
            q
            -x
            a=1
            b=2
            c=0
            [   ab|c  |007]
            3
            stderr:
            bash: line 2: printf: 3x: invalid number
        "#]],
    );
}

#[test]
fn reading_a_lower_file_never_copies_it_up() {
    check(
        "cat /etc/hosts /app/link < /etc/motd; cat; head -n 1 /etc/passwd; tail -1 /etc/passwd",
        expect![[r#"
            status 0
            stdout:
            127.0.0.1 localhost
            print('hi')
            root:x:0:0:root:/root:/bin/bash
            www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
        "#]],
    );
}

#[test]
fn cat_of_a_missing_file_or_a_directory_reports_like_coreutils() {
    check(
        "cat /nope; cat /etc; echo $?",
        expect![[r#"
            status 0
            stdout:
            1
            stderr:
            cat: /nope: No such file or directory
            cat: /etc: Is a directory
        "#]],
    );
}

#[test]
fn redirect_truncates_before_the_command_runs_and_copies_the_file_up() {
    check(
        "cat /missing > /etc/hosts; echo $?",
        expect![[r#"
        status 0
        stdout:
        1
        stderr:
        cat: /missing: No such file or directory
        events:
          copy-up /etc
          copy-up /etc/hosts
          truncate /etc/hosts
        container layer:
          /etc dir 0755
          /etc/hosts file 0644 0:0 ""
    "#]],
    );
}

#[test]
fn append_redirect_copies_up_then_writes() {
    check(
        "echo '10.0.0.1 db' >> /etc/hosts; cat /etc/hosts",
        expect![[r#"
            status 0
            stdout:
            127.0.0.1 localhost
            10.0.0.1 db
            events:
              copy-up /etc
              copy-up /etc/hosts
              write /etc/hosts
            container layer:
              /etc dir 0755
              /etc/hosts file 0644 0:0 "127.0.0.1 localhost\n10.0.0.1 db\n"
        "#]],
    );
}

#[test]
fn redirections_apply_in_order() {
    check(
        "cd /tmp; cat nope > both 2>&1; cat nope 2>&1 > out; ls nope 2> err; echo x >&2 2>/dev/null; cat out err; cat < both",
        expect![[r#"
            status 0
            stdout:
            cat: nope: No such file or directory
            ls: cannot access 'nope': No such file or directory
            cat: nope: No such file or directory
            stderr:
            x
            events:
              copy-up /tmp
              create /tmp/both
              write /tmp/both
              create /tmp/out
              create /tmp/err
              write /tmp/err
            container layer:
              /tmp dir 1777
              /tmp/both file 0644 0:0 "cat: nope: No such file or directory\n"
              /tmp/err file 0644 0:0 "ls: cannot access 'nope': No such file or directory\n"
              /tmp/out file 0644 0:0 ""
        "#]],
    );
}

#[test]
fn a_redirect_into_a_missing_directory_fails_before_the_command() {
    check(
        "echo hi > /nope/f; echo $?; echo hi < /nope",
        expect![[r#"
        status 1
        stdout:
        1
        stderr:
        bash: line 1: /nope/f: No such file or directory
        bash: line 1: /nope: No such file or directory
    "#]],
    );
}

#[test]
fn rm_of_a_lower_file_leaves_a_whiteout() {
    check(
        "rm /etc/hosts; ls /etc; cat /etc/hosts",
        expect![[r#"
        status 1
        stdout:
        group
        motd
        passwd
        stderr:
        cat: /etc/hosts: No such file or directory
        events:
          copy-up /etc
          whiteout /etc/hosts
        container layer:
          /etc dir 0755
          /etc/hosts whiteout
    "#]],
    );
}

#[test]
fn rm_rf_then_mkdir_gives_an_empty_opaque_directory() {
    check(
        "rm -rf /app; mkdir /app; ls -a /app",
        expect![[r#"
        status 0
        stdout:
        .
        ..
        events:
          copy-up /app
          whiteout /app/config.json
          copy-up /app/lib
          whiteout /app/lib/data.bin
          whiteout /app/lib/util.py
          whiteout /app/lib
          whiteout /app/link
          whiteout /app/main.py
          whiteout /app
          mkdir /app
          opaque /app
        container layer:
          /app dir 0755 opaque
    "#]],
    );
}

#[test]
fn rm_messages_follow_coreutils() {
    check(
        "rm; rm /nope; rm -f /nope; rm /app; rm -r /; rm -r /tmp/..; echo $?",
        expect![[r#"
            status 0
            stdout:
            1
            stderr:
            rm: missing operand
            Try 'rm --help' for more information.
            rm: cannot remove '/nope': No such file or directory
            rm: cannot remove '/app': Is a directory
            rm: it is dangerous to operate recursively on '/'
            rm: use --no-preserve-root to override this failsafe
            rm: refusing to remove '.' or '..' directory: skipping '/tmp/..'
        "#]],
    );
}

#[test]
fn touch_of_an_existing_lower_file_copies_it_up_without_opening_it() {
    check(
        "touch /etc/hosts /tmp/new; ls -l /etc/hosts /tmp/new",
        expect![[r#"
            status 0
            stdout:
            -rw-r--r-- 1 root root 20 Nov 15 22:13 /etc/hosts
            -rw-r--r-- 1 root root  0 Nov 15 22:13 /tmp/new
            events:
              copy-up /etc
              copy-up /etc/hosts
              utimes /etc/hosts
              copy-up /tmp
              create /tmp/new
            container layer:
              /etc dir 0755
              /etc/hosts file 0644 0:0 "127.0.0.1 localhost\n"
              /tmp dir 1777
              /tmp/new file 0644 0:0 ""
        "#]],
    );
}

#[test]
fn mkdir_creates_with_the_umask_and_reports_like_coreutils() {
    check(
        "mkdir /d /d /nope/x /etc/hosts/x; mkdir -p /a/b/c; mkdir -m 700 /m; mkdir -m 8 /q; mkdir; ls -ld /d /a/b/c /m",
        expect![[r#"
            status 0
            stdout:
            drwxr-xr-x 2 root root 4096 Nov 15 22:13 /a/b/c
            drwxr-xr-x 2 root root 4096 Nov 15 22:13 /d
            drwx------ 2 root root 4096 Nov 15 22:13 /m
            stderr:
            mkdir: cannot create directory '/d': File exists
            mkdir: cannot create directory '/nope/x': No such file or directory
            mkdir: cannot create directory '/etc/hosts/x': Not a directory
            mkdir: invalid mode '8'
            mkdir: missing operand
            Try 'mkdir --help' for more information.
            events:
              mkdir /d
              mkdir /a
              mkdir /a/b
              mkdir /a/b/c
              mkdir /m
            container layer:
              /a dir 0755
              /a/b dir 0755
              /a/b/c dir 0755
              /d dir 0755
              /m dir 0700
        "#]],
    );
}

#[test]
fn rmdir_of_a_merged_directory_needs_every_lower_child_gone() {
    check(
        "rmdir /app/lib; rm /app/lib/*; rmdir /app/lib; ls /app; rmdir /nope /etc/hosts",
        expect![[r#"
            status 1
            stdout:
            config.json
            link
            main.py
            stderr:
            rmdir: failed to remove '/app/lib': Directory not empty
            rmdir: failed to remove '/nope': No such file or directory
            rmdir: failed to remove '/etc/hosts': Not a directory
            events:
              copy-up /app
              copy-up /app/lib
              whiteout /app/lib/data.bin
              whiteout /app/lib/util.py
              whiteout /app/lib
            container layer:
              /app dir 0755
              /app/lib whiteout
        "#]],
    );
}

#[test]
fn mv_of_a_lower_file_copies_it_up_and_leaves_a_whiteout() {
    check(
        "mv /etc/motd /etc/motd.old; ls /etc",
        expect![[r#"
        status 0
        stdout:
        group
        hosts
        motd.old
        passwd
        events:
          copy-up /etc
          copy-up /etc/motd
          rename /etc/motd -> /etc/motd.old
          whiteout /etc/motd
        container layer:
          /etc dir 0755
          /etc/motd whiteout
          /etc/motd.old file 0644 0:0 "welcome\n"
    "#]],
    );
}

#[test]
fn mv_of_a_lower_directory_falls_back_to_copy_and_delete_like_gnu_mv() {
    check(
        "mv /app/lib /srv; ls -lR /srv; ls /app",
        expect![[r#"
            status 0
            stdout:
            /srv:
            total 8
            -rw-r--r-- 1 root root 1024 Nov 14 22:13 data.bin
            -rw-r--r-- 1 root root   22 Nov 14 22:13 util.py
            config.json
            link
            main.py
            events:
              exdev-fallback /app/lib -> /srv
              mkdir /srv
              create /srv/data.bin
              write /srv/data.bin
              chown /srv/data.bin
              chmod /srv/data.bin
              utimes /srv/data.bin
              create /srv/util.py
              write /srv/util.py
              chown /srv/util.py
              chmod /srv/util.py
              utimes /srv/util.py
              chown /srv
              chmod /srv
              utimes /srv
              copy-up /app
              copy-up /app/lib
              whiteout /app/lib/data.bin
              whiteout /app/lib/util.py
              whiteout /app/lib
            container layer:
              /app dir 0755
              /app/lib whiteout
              /srv dir 0755
              /srv/data.bin file 0644 0:0 (1024 bytes)
              /srv/util.py file 0644 0:0 "def f():\n    return 1\n"
        "#]],
    );
}

#[test]
fn mv_of_a_lower_directory_with_redirect_dir_renames_it_in_place() {
    check_with(
        Options {
            redirect_dir: true,
            ..Options::default()
        },
        "mv /app/lib /srv; ls /srv /app",
        expect![[r#"
            status 0
            stdout:
            /app:
            config.json
            link
            main.py

            /srv:
            data.bin
            util.py
            events:
              copy-up /app
              copy-up /app/lib
              rename /app/lib -> /srv
              redirect /srv -> /app/lib
              whiteout /app/lib
            container layer:
              /app dir 0755
              /app/lib whiteout
              /srv dir 0755
        "#]],
    );
}

#[test]
fn chmod_with_metacopy_copies_only_the_metadata_until_a_write() {
    check_with(
        Options {
            metacopy: true,
            ..Options::default()
        },
        "chmod 600 /app/lib/data.bin; echo x >> /app/lib/data.bin",
        expect![[r#"
            status 0
            events:
              copy-up /app
              copy-up /app/lib
              copy-up /app/lib/data.bin
              chmod /app/lib/data.bin
              copy-up /app/lib/data.bin
              write /app/lib/data.bin
            container layer:
              /app dir 0755
              /app/lib dir 0755
              /app/lib/data.bin file 0600 0:0 (1026 bytes)
        "#]],
    );
}

#[test]
fn mv_into_a_directory_and_its_messages() {
    check(
        "mkdir /d; mv /etc/hosts /d/; ls /d; mv /nope /d; mv /d /d/e; mv /d/hosts /d/hosts; mv /d /etc/passwd; mv; mv /x",
        expect![[r#"
            status 1
            stdout:
            hosts
            stderr:
            mv: cannot stat '/nope': No such file or directory
            mv: cannot move '/d' to a subdirectory of itself, '/d/e'
            mv: '/d/hosts' and '/d/hosts' are the same file
            mv: cannot overwrite non-directory '/etc/passwd' with directory '/d'
            mv: missing file operand
            Try 'mv --help' for more information.
            mv: missing destination file operand after '/x'
            Try 'mv --help' for more information.
            events:
              mkdir /d
              copy-up /etc
              copy-up /etc/hosts
              rename /etc/hosts -> /d/hosts
              whiteout /etc/hosts
            container layer:
              /d dir 0755
              /d/hosts file 0644 0:0 "127.0.0.1 localhost\n"
              /etc dir 0755
              /etc/hosts whiteout
        "#]],
    );
}

#[test]
fn cp_into_a_directory_and_recursively_with_attributes() {
    check(
        "mkdir /d; cp /etc/hosts /d; cp /app /x; cp -a /app /copy; ls -l /copy; cp /etc/hosts /etc/hosts; cp -r /app /app/x",
        expect![[r#"
            status 1
            stdout:
            total 12
            -rw-r--r-- 1 root root    3 Nov 14 22:13 config.json
            drwxr-xr-x 2 root root 4096 Nov 14 22:13 lib
            lrwxrwxrwx 1 root root    7 Nov 14 22:13 link -> main.py
            -rw-r--r-- 1 root root   12 Nov 14 22:13 main.py
            stderr:
            cp: -r not specified; omitting directory '/app'
            cp: '/etc/hosts' and '/etc/hosts' are the same file
            cp: cannot copy a directory, '/app', into itself, '/app/x'
            events:
              mkdir /d
              create /d/hosts
              write /d/hosts
              mkdir /copy
              mkdir /copy/lib
              create /copy/lib/data.bin
              write /copy/lib/data.bin
              chown /copy/lib/data.bin
              chmod /copy/lib/data.bin
              utimes /copy/lib/data.bin
              create /copy/lib/util.py
              write /copy/lib/util.py
              chown /copy/lib/util.py
              chmod /copy/lib/util.py
              utimes /copy/lib/util.py
              chown /copy/lib
              chmod /copy/lib
              utimes /copy/lib
              symlink /copy/link
              chown /copy/link
              utimes /copy/link
              create /copy/main.py
              write /copy/main.py
              chown /copy/main.py
              chmod /copy/main.py
              utimes /copy/main.py
              create /copy/config.json
              write /copy/config.json
              chown /copy/config.json
              chmod /copy/config.json
              utimes /copy/config.json
              chown /copy
              chmod /copy
              utimes /copy
              copy-up /app
              mkdir /app/x
              mkdir /app/x/lib
              create /app/x/lib/data.bin
              write /app/x/lib/data.bin
              create /app/x/lib/util.py
              write /app/x/lib/util.py
              symlink /app/x/link
              create /app/x/main.py
              write /app/x/main.py
              create /app/x/config.json
              write /app/x/config.json
            container layer:
              /app dir 0755
              /app/x dir 0755
              /app/x/config.json file 0644 0:0 "{}\n"
              /app/x/lib dir 0755
              /app/x/lib/data.bin file 0644 0:0 (1024 bytes)
              /app/x/lib/util.py file 0644 0:0 "def f():\n    return 1\n"
              /app/x/link symlink -> main.py
              /app/x/main.py file 0644 0:0 "print('hi')\n"
              /copy dir 0755
              /copy/config.json file 0644 0:0 "{}\n"
              /copy/lib dir 0755
              /copy/lib/data.bin file 0644 0:0 (1024 bytes)
              /copy/lib/util.py file 0644 0:0 "def f():\n    return 1\n"
              /copy/link symlink -> main.py
              /copy/main.py file 0644 0:0 "print('hi')\n"
              /d dir 0755
              /d/hosts file 0644 0:0 "127.0.0.1 localhost\n"
        "#]],
    );
}

#[test]
fn cp_over_an_existing_lower_file_truncates_it_after_copying_it_up() {
    check(
        "cp /etc/motd /etc/hosts; cat /etc/hosts",
        expect![[r#"
        status 0
        stdout:
        welcome
        events:
          copy-up /etc
          copy-up /etc/hosts
          truncate /etc/hosts
          write /etc/hosts
        container layer:
          /etc dir 0755
          /etc/hosts file 0644 0:0 "welcome\n"
    "#]],
    );
}

#[test]
fn chmod_takes_octal_and_symbolic_modes() {
    check(
        "cd /tmp; touch a b c; chmod 600 a; chmod u+x,go-w b; chmod a=r c; chmod -w a; chmod +x c; ls -l; chmod zz a; chmod 644 nope; chmod -R g+w /app/lib; ls -ld /app/lib /app/lib/*",
        expect![[r#"
            status 0
            stdout:
            total 0
            -r-------- 1 root root 0 Nov 15 22:13 a
            -rwxr--r-- 1 root root 0 Nov 15 22:13 b
            -r-xr-xr-x 1 root root 0 Nov 15 22:13 c
            drwxrwxr-x 1 root root 4096 Nov 14 22:13 /app/lib
            -rw-rw-r-- 1 root root 1024 Nov 14 22:13 /app/lib/data.bin
            -rw-rw-r-- 1 root root   22 Nov 14 22:13 /app/lib/util.py
            stderr:
            chmod: invalid mode: 'zz'
            Try 'chmod --help' for more information.
            chmod: cannot access 'nope': No such file or directory
            events:
              copy-up /tmp
              create /tmp/a
              create /tmp/b
              create /tmp/c
              chmod /tmp/a
              chmod /tmp/b
              chmod /tmp/c
              chmod /tmp/a
              chmod /tmp/c
              copy-up /app
              copy-up /app/lib
              chmod /app/lib
              copy-up /app/lib/data.bin
              chmod /app/lib/data.bin
              copy-up /app/lib/util.py
              chmod /app/lib/util.py
            container layer:
              /app dir 0755
              /app/lib dir 0775
              /app/lib/data.bin file 0664 0:0 (1024 bytes)
              /app/lib/util.py file 0664 0:0 "def f():\n    return 1\n"
              /tmp dir 1777
              /tmp/a file 0400 0:0 ""
              /tmp/b file 0744 0:0 ""
              /tmp/c file 0555 0:0 ""
        "#]],
    );
}

#[test]
fn chown_takes_names_from_the_containers_passwd_and_numbers() {
    check(
        "chown www-data:www-data /app/main.py; chown 1000 /etc/motd; chown :33 /etc/hosts; chown bob /etc/motd; chown root:bob /etc/motd; ls -l /app/main.py /etc/motd /etc/hosts",
        expect![[r#"
            status 0
            stdout:
            -rw-r--r-- 1 www-data www-data 12 Nov 14 22:13 /app/main.py
            -rw-r--r-- 1 root     www-data 20 Nov 14 22:13 /etc/hosts
            -rw-r--r-- 1 1000     root      8 Nov 14 22:13 /etc/motd
            stderr:
            chown: invalid user: 'bob'
            chown: invalid group: 'root:bob'
            events:
              copy-up /app
              copy-up /app/main.py
              chown /app/main.py
              copy-up /etc
              copy-up /etc/motd
              chown /etc/motd
              copy-up /etc/hosts
              chown /etc/hosts
            container layer:
              /app dir 0755
              /app/main.py file 0644 33:33 "print('hi')\n"
              /etc dir 0755
              /etc/hosts file 0644 0:33 "127.0.0.1 localhost\n"
              /etc/motd file 0644 1000:0 "welcome\n"
        "#]],
    );
}

#[test]
fn ln_makes_symbolic_and_hard_links() {
    check(
        "cd /tmp; ln -s /etc/hosts h; cat h; ln -s x h; ln -sf /etc/motd h; ls -l h; ln /etc/passwd pw; ln /nope y; ln /app y; ln /etc/passwd pw; ls -l pw /etc/passwd",
        expect![[r#"
            status 0
            stdout:
            127.0.0.1 localhost
            lrwxrwxrwx 1 root root 9 Nov 15 22:13 h -> /etc/motd
            -rw-r--r-- 2 root root 85 Nov 14 22:13 /etc/passwd
            -rw-r--r-- 2 root root 85 Nov 14 22:13 pw
            stderr:
            ln: failed to create symbolic link 'h': File exists
            ln: failed to access '/nope': No such file or directory
            ln: /app: hard link not allowed for directory
            ln: failed to create hard link 'pw': File exists
            events:
              copy-up /tmp
              symlink /tmp/h
              remove /tmp/h
              symlink /tmp/h
              copy-up /etc
              copy-up /etc/passwd
              link /tmp/pw -> /etc/passwd
            container layer:
              /etc dir 0755
              /etc/passwd file 0644 0:0 (85 bytes)
              /tmp dir 1777
              /tmp/h symlink -> /etc/motd
              /tmp/pw file 0644 0:0 (85 bytes)
        "#]],
    );
}

#[test]
fn truncate_sets_sizes_with_suffixes() {
    check(
        "cd /tmp; truncate -s 1K k; truncate -s 2M m; truncate -s 5 /etc/hosts; truncate -s +1 /etc/hosts; ls -l k m /etc/hosts; truncate -s x k; truncate k; truncate -s 1 /nope/f",
        expect![[r#"
            status 1
            stdout:
            -rw-r--r-- 1 root root       6 Nov 15 22:13 /etc/hosts
            -rw-r--r-- 1 root root    1024 Nov 15 22:13 k
            -rw-r--r-- 1 root root 2097152 Nov 15 22:13 m
            stderr:
            truncate: Invalid number: 'x'
            truncate: you must specify either '--size' or '--reference'
            Try 'truncate --help' for more information.
            truncate: cannot open '/nope/f' for writing: No such file or directory
            events:
              copy-up /tmp
              create /tmp/k
              truncate /tmp/k
              create /tmp/m
              truncate /tmp/m
              copy-up /etc
              copy-up /etc/hosts
              truncate /etc/hosts
              truncate /etc/hosts
            container layer:
              /etc dir 0755
              /etc/hosts file 0644 0:0 "127.0\0"
              /tmp dir 1777
              /tmp/k file 0644 0:0 (1024 bytes)
              /tmp/m file 0644 0:0 (2097152 bytes)
        "#]],
    );
}

#[test]
fn head_and_tail_take_line_counts() {
    check(
        "printf '%s\\n' 1 2 3 4 5 6 7 8 9 10 11 12 > /tmp/n; head /tmp/n; tail -n 2 /tmp/n; head -3 /tmp/n; tail -n +11 /tmp/n; head -n x /tmp/n; head /nope; tail /app",
        expect![[r#"
            status 1
            stdout:
            1
            2
            3
            4
            5
            6
            7
            8
            9
            10
            11
            12
            1
            2
            3
            11
            12
            stderr:
            head: invalid number of lines: 'x'
            head: cannot open '/nope' for reading: No such file or directory
            tail: error reading '/app': Is a directory
            events:
              copy-up /tmp
              create /tmp/n
              write /tmp/n
            container layer:
              /tmp dir 1777
              /tmp/n file 0644 0:0 "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n"
        "#]],
    );
}

#[test]
fn ls_lists_long_all_recursive_and_several_operands() {
    check(
        "ls -l /app; ls -a /app/lib; ls -R /app; ls /etc/hosts /nope /app/lib /root",
        expect![[r#"
            status 2
            stdout:
            total 12
            -rw-r--r-- 1 root root    3 Nov 14 22:13 config.json
            drwxr-xr-x 2 root root 4096 Nov 14 22:13 lib
            lrwxrwxrwx 1 root root    7 Nov 14 22:13 link -> main.py
            -rw-r--r-- 1 root root   12 Nov 14 22:13 main.py
            .
            ..
            data.bin
            util.py
            /app:
            config.json
            lib
            link
            main.py

            /app/lib:
            data.bin
            util.py
            /etc/hosts

            /app/lib:
            data.bin
            util.py

            /root:
            stderr:
            ls: cannot access '/nope': No such file or directory
        "#]],
    );
}

#[test]
fn ls_i_puts_inode_numbers_before_names_in_a_column_as_wide_as_the_widest() {
    // Two names of one inode show one number; `ln` copies main.py up first, and the copy keeps
    // the lower file's number (as overlayfs reports st_ino), before and after `echo >>`.
    check(
        "ln /app/main.py /app/second; ls -i /app; echo x >> /app/main.py; ls -li /app; ls --inode -d /app /app/lib/util.py",
        expect![[r#"
            status 0
            stdout:
             2000001 config.json
            22832509 lib
             1000007 link
             3000001 main.py
             3000001 second
            total 16
             2000001 -rw-r--r-- 1 root root    3 Nov 14 22:13 config.json
            22832509 drwxr-xr-x 2 root root 4096 Nov 14 22:13 lib
             1000007 lrwxrwxrwx 1 root root    7 Nov 14 22:13 link -> main.py
             3000001 -rw-r--r-- 2 root root   14 Nov 15 22:13 main.py
             3000001 -rw-r--r-- 2 root root   14 Nov 15 22:13 second
            95026694 /app
             1000005 /app/lib/util.py
            events:
              copy-up /app
              copy-up /app/main.py
              link /app/second -> /app/main.py
              write /app/main.py
            container layer:
              /app dir 0755
              /app/main.py file 0644 0:0 "print('hi')\nx\n"
              /app/second file 0644 0:0 "print('hi')\nx\n"
        "#]],
    );
}

#[test]
fn stat_c_expands_gnu_directives() {
    check(
        "stat -c '%n|%N|%s|%b|%F|%a|%A|%h|%U:%G|%f|%%|%k' /etc/hosts /app/link /app; stat --format='[%-6s][%6s][%06s]' /etc/hosts; stat -c; stat -c %i /app/main.py /app/nope",
        expect![[r#"
            status 1
            stdout:
            /etc/hosts|'/etc/hosts'|20|8|regular file|644|-rw-r--r--|1|root:root|81a4|%|?
            /app/link|'/app/link' -> 'main.py'|7|0|symbolic link|777|lrwxrwxrwx|1|root:root|a1ff|%|?
            /app|'/app'|4096|8|directory|755|drwxr-xr-x|1|root:root|41ed|%|?
            [20    ][    20][000020]
            1000004
            stderr:
            stat: option requires an argument -- 'c'
            Try 'stat --help' for more information.
            stat: cannot statx '/app/nope': No such file or directory
        "#]],
    );
}

#[test]
fn stat_shows_the_gnu_default_format() {
    check(
        "stat /etc/hosts /app/link /app; stat /nope",
        expect![[r#"
            status 1
            stdout:
              File: /etc/hosts
              Size: 20        	Blocks: 8          IO Block: 4096   regular file
            Device: 0,48	Inode: 1000001     Links: 1
            Access: (0644/-rw-r--r--)  Uid: (    0/    root)   Gid: (    0/    root)
            Access: 2023-11-14 22:13:20.000000000 +0000
            Modify: 2023-11-14 22:13:20.000000000 +0000
            Change: 2023-11-14 22:13:20.000000000 +0000
             Birth: -
              File: /app/link -> main.py
              Size: 7         	Blocks: 0          IO Block: 4096   symbolic link
            Device: 0,48	Inode: 1000007     Links: 1
            Access: (0777/lrwxrwxrwx)  Uid: (    0/    root)   Gid: (    0/    root)
            Access: 2023-11-14 22:13:20.000000000 +0000
            Modify: 2023-11-14 22:13:20.000000000 +0000
            Change: 2023-11-14 22:13:20.000000000 +0000
             Birth: -
              File: /app
              Size: 4096      	Blocks: 8          IO Block: 4096   directory
            Device: 0,48	Inode: 95026694    Links: 1
            Access: (0755/drwxr-xr-x)  Uid: (    0/    root)   Gid: (    0/    root)
            Access: 2023-11-14 22:13:20.000000000 +0000
            Modify: 2023-11-14 22:13:20.000000000 +0000
            Change: 2023-11-14 22:13:20.000000000 +0000
             Birth: -
            stderr:
            stat: cannot statx '/nope': No such file or directory
        "#]],
    );
}

#[test]
fn cd_and_pwd_follow_the_working_directory() {
    check(
        "cd /app/lib; pwd; ls; cd ..; pwd; cd nope; cd /etc/hosts; cd a b; pwd",
        expect![[r#"
            status 0
            stdout:
            /app/lib
            data.bin
            util.py
            /app
            /app
            stderr:
            bash: line 1: cd: nope: No such file or directory
            bash: line 1: cd: /etc/hosts: Not a directory
            bash: line 1: cd: too many arguments
        "#]],
    );
}

#[test]
fn cd_is_logical_through_symlinks_as_in_bash() {
    check(
        "ln -s /app/lib /l; cd /l; pwd; pwd -P; echo $PWD; ls ..; cd ..; pwd",
        expect![[r#"
            status 0
            stdout:
            /l
            /app/lib
            /l
            config.json
            lib
            link
            main.py
            /
            events:
              symlink /l
            container layer:
              /l symlink -> /app/lib
        "#]],
    );
}

#[test]
fn cd_dash_goes_back_to_oldpwd() {
    check(
        "cd -; cd /etc; cd /app; cd -; echo $OLDPWD; cd -",
        expect![[r#"
        status 0
        stdout:
        /etc
        /app
        /app
        stderr:
        bash: line 1: cd: OLDPWD not set
    "#]],
    );
}

#[test]
fn and_or_and_status_follow_bash() {
    check(
        "false && echo no || echo yes $?; true || echo no; false; echo $? '$?' \"$?\"",
        expect![[r#"
            status 0
            stdout:
            yes 1
            1 $? 1
        "#]],
    );
}

#[test]
fn an_unknown_command_exits_127_and_the_script_goes_on() {
    check(
        "foo bar\necho after $?\nfalse",
        expect![[r#"
        status 1
        stdout:
        after 127
        stderr:
        bash: line 1: foo: command not found
    "#]],
    );
}

#[test]
fn a_syntax_error_stops_the_script_with_status_2() {
    check(
        "echo a\necho b ;; echo c\necho d",
        expect![[r#"
        status 2
        stdout:
        a
        stderr:
        bash: line 2: syntax error near unexpected token `;;'
        bash: line 2: `echo b ;; echo c'
    "#]],
    );
}

#[test]
fn messages_name_the_line_a_command_or_token_is_on() {
    check(
        "echo 'a\nb'; foo\necho \"c\nd\" > /nope/f\necho 'e\nf' ;; g",
        expect![[r#"
        status 2
        stdout:
        a
        b
        stderr:
        bash: line 2: foo: command not found
        bash: line 4: /nope/f: No such file or directory
        bash: line 6: syntax error near unexpected token `;;'
        bash: line 6: `f' ;; g'
    "#]],
    );
}

#[test]
fn a_redirect_without_a_target_is_a_syntax_error() {
    check(
        "echo a >",
        expect![[r#"
        status 2
        stderr:
        bash: line 1: syntax error near unexpected token `newline'
        bash: line 1: `echo a >'
    "#]],
    );
}

#[test]
fn a_quote_left_open_continues_on_the_next_line() {
    check(
        "echo 'a\nb'; echo \"c\nd\" | cat\necho e &&\necho f",
        expect![[r#"
        status 0
        stdout:
        a
        b
        c
        d
        e
        f
    "#]],
    );
}

#[test]
fn a_quote_open_at_the_end_of_the_script_is_bashs_unexpected_eof() {
    check(
        "echo a\necho \"b\nc",
        expect![[r#"
        status 2
        stdout:
        a
        stderr:
        bash: line 2: unexpected EOF while looking for matching `"'
    "#]],
    );
}

#[test]
fn comments_and_backslashes_follow_bash() {
    check(
        "echo a # no\n# whole line\necho b\\ c \\# '#' d#e \\\necontinued",
        expect![[r#"
            status 0
            stdout:
            a
            b c # # d#e econtinued
        "#]],
    );
}

#[test]
fn globs_expand_against_the_union_and_stay_literal_without_a_match() {
    check(
        "rm /etc/motd; echo /etc/*; echo /app/*.py /app/*/*.py; echo /nope* '/etc/*'; echo /etc/[gh]* /etc/[!gh]*; [ -d /etc ] && echo dir",
        expect![[r#"
            status 0
            stdout:
            /etc/group /etc/hosts /etc/passwd
            /app/main.py /app/lib/util.py
            /nope* /etc/*
            /etc/group /etc/hosts /etc/passwd
            dir
            events:
              copy-up /etc
              whiteout /etc/motd
            container layer:
              /etc dir 0755
              /etc/motd whiteout
        "#]],
    );
}

#[test]
fn variables_of_a_root_shell_and_tilde_expand_and_unknown_ones_are_empty() {
    check(
        "cd ~; pwd; echo $HOME \"$PWD\" '$HOME' ${HOME}x ~/a a~ \"~\" [$nope] a $nope b \"[$nope]\"; printf '%q\\n' 'a b'",
        expect![[r#"
            status 0
            stdout:
            /root
            /root /root $HOME /rootx /root/a a~ ~ [] a b []
            a\ b
        "#]],
    );
}

#[test]
fn test_wc_and_exit_work_as_in_scripts() {
    check(
        "[ -f /etc/hosts ] && echo file; [ -d /etc/hosts ] || echo not-dir; [ 1 -lt x ]; echo $?; [ a\nwc /etc/passwd /etc/hosts; wc -l < /etc/passwd\nexit 3\necho never",
        expect![[r#"
            status 3
            stdout:
            file
            not-dir
            2
              2   2  85 /etc/passwd
              1   2  20 /etc/hosts
              3   4 105 total
            2
            stderr:
            bash: line 1: [: x: integer expression expected
            bash: line 1: [: missing `]'
        "#]],
    );
}

#[test]
fn a_command_substitution_fails_alone_and_the_script_goes_on() {
    check(
        "echo $(ls)\necho '$(ls)' `ls`\necho after",
        expect![[r#"
        status 0
        stdout:
        after
        stderr:
        bash: line 1: command substitution ($(...) and `...`) is not supported by this shell
        bash: line 2: command substitution ($(...) and `...`) is not supported by this shell
    "#]],
    );
}

#[test]
fn verbose_flags_print_what_gnu_prints() {
    check(
        "cd /tmp; cp -rv /app/lib l; mv -v l m; ln -sv m s; chmod -v 700 m; chmod -c 700 m; rm -rv m s; mkdir -pv a/b; rmdir -v a/b",
        expect![[r#"
            status 0
            stdout:
            '/app/lib' -> 'l'
            '/app/lib/data.bin' -> 'l/data.bin'
            '/app/lib/util.py' -> 'l/util.py'
            renamed 'l' -> 'm'
            's' -> 'm'
            mode of 'm' changed from 0755 (rwxr-xr-x) to 0700 (rwx------)
            removed 'm/data.bin'
            removed 'm/util.py'
            removed directory 'm'
            removed 's'
            mkdir: created directory 'a'
            mkdir: created directory 'a/b'
            rmdir: removing directory, 'a/b'
            events:
              copy-up /tmp
              mkdir /tmp/l
              create /tmp/l/data.bin
              write /tmp/l/data.bin
              create /tmp/l/util.py
              write /tmp/l/util.py
              rename /tmp/l -> /tmp/m
              opaque /tmp/m
              symlink /tmp/s
              chmod /tmp/m
              chmod /tmp/m
              remove /tmp/m/data.bin
              remove /tmp/m/util.py
              remove /tmp/m
              remove /tmp/s
              mkdir /tmp/a
              mkdir /tmp/a/b
              remove /tmp/a/b
            container layer:
              /tmp dir 1777
              /tmp/a dir 0755
        "#]],
    );
}

#[test]
fn pipes_feed_standard_output_to_the_next_command() {
    check(
        "cat /etc/passwd | head -n 1 | tail -c 5",
        expect![[r#"
        status 0
        stdout:
        bash
    "#]],
    );
}

#[test]
fn options_that_do_not_exist_are_reported_like_coreutils() {
    check(
        "ls -z; rm -z; cp --bogus; echo -z",
        expect![[r#"
        status 0
        stdout:
        -z
        stderr:
        ls: invalid option -- 'z'
        Try 'ls --help' for more information.
        rm: invalid option -- 'z'
        Try 'rm --help' for more information.
        cp: unrecognized option '--bogus'
        Try 'cp --help' for more information.
    "#]],
    );
}

#[test]
fn the_working_directory_and_status_carry_over_between_lines() {
    let mut sh = shell();
    sh.run_line("cd /app");
    sh.run_line("false");
    let out = sh.run_line("echo $?; pwd");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\n/app\n");
    assert_eq!(sh.cwd().as_str(), "/app");
}

#[test]
fn rm_f_ignores_a_name_under_a_file_as_it_ignores_a_missing_one() {
    check(
        r#"rm -rf /etc/hosts/e; echo $?; rm -f /etc/hosts/x/y; echo $?; rm /etc/hosts/e"#,
        expect![[r#"
            status 1
            stdout:
            0
            0
            stderr:
            rm: cannot remove '/etc/hosts/e': Not a directory
        "#]],
    );
}

#[test]
fn chmod_refuses_a_dangling_symlink_and_reports_one_it_cannot_follow() {
    check(
        r#"ln -s missing /tmp/b; ln -s a /tmp/a; chmod 600 /tmp/b; chmod -R 600 /tmp/b; chmod -v 600 /tmp/a; chmod -f 600 /tmp/b; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            '/tmp/a' could not be accessed
            1
            stderr:
            chmod: cannot operate on dangling symlink '/tmp/b'
            chmod: cannot operate on dangling symlink '/tmp/b'
            chmod: cannot access '/tmp/a': Too many levels of symbolic links
            events:
              copy-up /tmp
              symlink /tmp/b
              symlink /tmp/a
            container layer:
              /tmp dir 1777
              /tmp/a symlink -> a
              /tmp/b symlink -> missing
        "#]],
    );
}

#[test]
fn ls_lists_a_dangling_symlink_but_not_one_that_loops_or_runs_into_a_file() {
    check(
        r#"ln -s missing /tmp/b; ln -s a /tmp/a; ln -s /etc/hosts/x /tmp/c; cd /tmp; ls b; ls a; ls c; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            b
            2
            stderr:
            ls: cannot access 'a': Too many levels of symbolic links
            ls: cannot access 'c': Not a directory
            events:
              copy-up /tmp
              symlink /tmp/b
              symlink /tmp/a
              symlink /tmp/c
            container layer:
              /tmp dir 1777
              /tmp/a symlink -> a
              /tmp/b symlink -> missing
              /tmp/c symlink -> /etc/hosts/x
        "#]],
    );
}

#[test]
fn mkdir_p_stops_at_a_symlink_that_loops_dangles_or_runs_into_a_file() {
    check(
        r#"mkdir /d; ln -s a /d/a; ln -s nope /d/c; ln -s /etc/hosts/x /d/d; ln -s /app /d/app
mkdir -p /d/a/e; mkdir -p /d/c/e; mkdir -p /d/d/e; mkdir -p /d/a; mkdir -p /d/c; mkdir -p /etc/hosts/x/y; mkdir -p /d/app/new; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            0
            stderr:
            mkdir: cannot create directory '/d/a': Too many levels of symbolic links
            mkdir: cannot create directory '/d/c': File exists
            mkdir: cannot create directory '/d/d': Not a directory
            mkdir: cannot stat '/d/a': Too many levels of symbolic links
            mkdir: cannot create directory '/d/c': File exists
            mkdir: cannot create directory '/etc/hosts': Not a directory
            events:
              mkdir /d
              symlink /d/a
              symlink /d/c
              symlink /d/d
              symlink /d/app
              copy-up /app
              mkdir /app/new
            container layer:
              /app dir 0755
              /app/new dir 0755
              /d dir 0755
              /d/a symlink -> a
              /d/app symlink -> /app
              /d/c symlink -> nope
              /d/d symlink -> /etc/hosts/x
        "#]],
    );
}

#[test]
fn cp_and_mv_cannot_stat_a_target_that_runs_into_a_file_or_loops() {
    check(
        r#"cd /tmp; touch b; ln -s l l; cp b /etc/hosts/a/f; cp b l/f; cp -r /app /etc/hosts/a; mv b /etc/hosts/x; mv b l/x; cp b /etc/hosts/; cp b x/; mv b x/"#,
        expect![[r#"
            status 1
            stderr:
            cp: cannot stat '/etc/hosts/a/f': Not a directory
            cp: cannot stat 'l/f': Too many levels of symbolic links
            cp: cannot stat '/etc/hosts/a': Not a directory
            mv: cannot stat '/etc/hosts/x': Not a directory
            mv: cannot stat 'l/x': Too many levels of symbolic links
            cp: cannot stat '/etc/hosts/': Not a directory
            cp: cannot create regular file 'x/': Not a directory
            mv: cannot move 'b' to 'x/': Not a directory
            events:
              copy-up /tmp
              create /tmp/b
              symlink /tmp/l
            container layer:
              /tmp dir 1777
              /tmp/b file 0644 0:0 ""
              /tmp/l symlink -> l
        "#]],
    );
}

#[test]
fn cp_does_not_write_through_a_dangling_or_looping_symlink() {
    check(
        r#"cd /tmp; echo new > b; mkdir d e; ln -s missing s; ln -s nope e/b; ln -s s2 s1; ln -s s1 s2
cp b s; cp -a b s; cp -n b s; cp -r d s; cp -r b e; cp b s1; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            1
            stderr:
            cp: not writing through dangling symlink 's'
            cp: not writing through dangling symlink 's'
            cp: not writing through dangling symlink 's'
            cp: cannot overwrite non-directory 's' with directory 'd'
            cp: not writing through dangling symlink 'e/b'
            cp: cannot stat 's1': Too many levels of symbolic links
            events:
              copy-up /tmp
              create /tmp/b
              write /tmp/b
              mkdir /tmp/d
              mkdir /tmp/e
              symlink /tmp/s
              symlink /tmp/e/b
              symlink /tmp/s1
              symlink /tmp/s2
            container layer:
              /tmp dir 1777
              /tmp/b file 0644 0:0 "new\n"
              /tmp/d dir 0755
              /tmp/e dir 0755
              /tmp/e/b symlink -> nope
              /tmp/s symlink -> missing
              /tmp/s1 symlink -> s2
              /tmp/s2 symlink -> s1
        "#]],
    );
}

#[test]
fn cp_p_through_a_symlink_sets_the_mode_of_the_file_it_wrote() {
    check(
        r#"cd /tmp; echo new > b; echo old > t; chmod 600 t; ln -s t s; cp -a b s; cat t"#,
        expect![[r#"
            status 0
            stdout:
            new
            events:
              copy-up /tmp
              create /tmp/b
              write /tmp/b
              create /tmp/t
              write /tmp/t
              chmod /tmp/t
              symlink /tmp/s
              truncate /tmp/t
              write /tmp/t
              chown /tmp/t
              chmod /tmp/t
              utimes /tmp/t
            container layer:
              /tmp dir 1777
              /tmp/b file 0644 0:0 "new\n"
              /tmp/s symlink -> t
              /tmp/t file 0644 0:0 "new\n"
        "#]],
    );
}

#[test]
fn cp_and_mv_refuse_the_same_file_through_hard_links_and_symlinks() {
    check(
        r#"cd /etc; ln hosts h; ln -s passwd c; ln -s passwd d; cp hosts h; cp -a hosts h; mv h hosts; cp -a c passwd; cp -a c c; cp c passwd; mv c passwd; cp -a passwd c; cp -a c d; mv hosts h; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            1
            stderr:
            cp: 'hosts' and 'h' are the same file
            cp: 'hosts' and 'h' are the same file
            mv: 'h' and 'hosts' are the same file
            cp: 'c' and 'passwd' are the same file
            cp: 'c' and 'c' are the same file
            cp: 'c' and 'passwd' are the same file
            mv: 'c' and 'passwd' are the same file
            cp: 'passwd' and 'c' are the same file
            mv: 'hosts' and 'h' are the same file
            events:
              copy-up /etc
              copy-up /etc/hosts
              link /etc/h -> /etc/hosts
              symlink /etc/c
              symlink /etc/d
              remove /etc/d
              symlink /etc/d
              chown /etc/d
              utimes /etc/d
            container layer:
              /etc dir 0755
              /etc/c symlink -> passwd
              /etc/d symlink -> passwd
              /etc/h file 0644 0:0 "127.0.0.1 localhost\n"
              /etc/hosts file 0644 0:0 "127.0.0.1 localhost\n"
        "#]],
    );
}

#[test]
fn cp_into_itself_copies_until_it_meets_the_directory_it_made() {
    check(
        r#"cd /tmp; mkdir -p d1/d1; chmod 750 d1; cp -r d1 d1; mkdir d2; chmod 775 d2; cp -a d2 d2; mkdir d3; touch d3/b; cp -a d3 d3/b; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            1
            stderr:
            cp: cannot copy a directory, 'd1', into itself, 'd1/d1'
            cp: cannot copy a directory, 'd2', into itself, 'd2/d2'
            cp: cannot overwrite non-directory 'd3/b' with directory 'd3'
            events:
              copy-up /tmp
              mkdir /tmp/d1
              mkdir /tmp/d1/d1
              chmod /tmp/d1
              mkdir /tmp/d1/d1/d1
              mkdir /tmp/d2
              chmod /tmp/d2
              mkdir /tmp/d2/d2
              chown /tmp/d2/d2
              chmod /tmp/d2/d2
              utimes /tmp/d2/d2
              mkdir /tmp/d3
              create /tmp/d3/b
            container layer:
              /tmp dir 1777
              /tmp/d1 dir 0750
              /tmp/d1/d1 dir 0755
              /tmp/d1/d1/d1 dir 0755
              /tmp/d2 dir 0775
              /tmp/d2/d2 dir 0775
              /tmp/d3 dir 0755
              /tmp/d3/b file 0644 0:0 ""
        "#]],
    );
}

#[test]
fn mv_checks_the_type_of_the_target_before_refusing_a_move_into_itself() {
    check(
        r#"cd /tmp; mkdir -p d1/d1/e; touch d1/d1/d1; mv d1/d1 d1/d1; mv d1 d1/d1/e; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            1
            stderr:
            mv: cannot overwrite non-directory 'd1/d1/d1' with directory 'd1/d1'
            mv: cannot move 'd1' to a subdirectory of itself, 'd1/d1/e/d1'
            events:
              copy-up /tmp
              mkdir /tmp/d1
              mkdir /tmp/d1/d1
              mkdir /tmp/d1/d1/e
              create /tmp/d1/d1/d1
            container layer:
              /tmp dir 1777
              /tmp/d1 dir 0755
              /tmp/d1/d1 dir 0755
              /tmp/d1/d1/d1 file 0644 0:0 ""
              /tmp/d1/d1/e dir 0755
        "#]],
    );
}

#[test]
fn mv_across_layers_onto_a_non_empty_directory_cannot_remove_the_target() {
    check(
        r#"mkdir -p /tmp/lib/x; mv /app/lib /tmp; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            1
            stderr:
            mv: inter-device move failed: '/app/lib' to '/tmp/lib'; unable to remove target: Directory not empty
            events:
              copy-up /tmp
              mkdir /tmp/lib
              mkdir /tmp/lib/x
              exdev-fallback /app/lib -> /tmp/lib
            container layer:
              /tmp dir 1777
              /tmp/lib dir 0755
              /tmp/lib/x dir 0755
        "#]],
    );
}

#[test]
fn cp_r_of_a_symlink_into_a_missing_directory_cannot_create_a_symbolic_link() {
    check(
        r#"cp -r /app/link /nope/link; cp /app/link /nope/link; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            1
            stderr:
            cp: cannot create symbolic link '/nope/link': No such file or directory
            cp: cannot create regular file '/nope/link': No such file or directory
        "#]],
    );
}

#[test]
fn cp_a_keeps_hard_links_in_the_copy_and_replaces_a_target_with_other_names() {
    check(
        r#"cd /tmp; mkdir d; echo x > d/a; ln d/a d/h; cp -a d e; echo new >> e/a; cat e/h; echo z > b; echo c > c; ln c c2; cp -a b c; cat c c2"#,
        expect![[r#"
            status 0
            stdout:
            x
            new
            z
            c
            events:
              copy-up /tmp
              mkdir /tmp/d
              create /tmp/d/a
              write /tmp/d/a
              link /tmp/d/h -> /tmp/d/a
              mkdir /tmp/e
              create /tmp/e/a
              write /tmp/e/a
              chown /tmp/e/a
              chmod /tmp/e/a
              utimes /tmp/e/a
              link /tmp/e/h -> /tmp/e/a
              chown /tmp/e
              chmod /tmp/e
              utimes /tmp/e
              write /tmp/e/a
              create /tmp/b
              write /tmp/b
              create /tmp/c
              write /tmp/c
              link /tmp/c2 -> /tmp/c
              remove /tmp/c
              create /tmp/c
              write /tmp/c
              chown /tmp/c
              chmod /tmp/c
              utimes /tmp/c
            container layer:
              /tmp dir 1777
              /tmp/b file 0644 0:0 "z\n"
              /tmp/c file 0644 0:0 "z\n"
              /tmp/c2 file 0644 0:0 "c\n"
              /tmp/d dir 0755
              /tmp/d/a file 0644 0:0 "x\n"
              /tmp/d/h file 0644 0:0 "x\n"
              /tmp/e dir 0755
              /tmp/e/a file 0644 0:0 "x\nnew\n"
              /tmp/e/h file 0644 0:0 "x\nnew\n"
        "#]],
    );
}

#[test]
fn mv_across_layers_keeps_hard_links_and_into_a_directory_renames_what_it_can() {
    check(
        r#"cd /app; ln lib/util.py lib/u2; mv lib /tmp/lib2; echo more >> /tmp/lib2/u2; cat /tmp/lib2/util.py; mkdir -p /etc/d/e; mv /etc/d /app/lib; mv /app /tmp"#,
        expect![[r#"
            status 0
            stdout:
            def f():
                return 1
            more
            events:
              copy-up /app
              copy-up /app/lib
              copy-up /app/lib/util.py
              link /app/lib/u2 -> /app/lib/util.py
              exdev-fallback /app/lib -> /tmp/lib2
              copy-up /tmp
              mkdir /tmp/lib2
              create /tmp/lib2/data.bin
              write /tmp/lib2/data.bin
              chown /tmp/lib2/data.bin
              chmod /tmp/lib2/data.bin
              utimes /tmp/lib2/data.bin
              create /tmp/lib2/u2
              write /tmp/lib2/u2
              chown /tmp/lib2/u2
              chmod /tmp/lib2/u2
              utimes /tmp/lib2/u2
              link /tmp/lib2/util.py -> /tmp/lib2/u2
              chown /tmp/lib2
              chmod /tmp/lib2
              utimes /tmp/lib2
              whiteout /app/lib/data.bin
              remove /app/lib/u2
              whiteout /app/lib/util.py
              whiteout /app/lib
              write /tmp/lib2/u2
              copy-up /etc
              mkdir /etc/d
              mkdir /etc/d/e
              rename /etc/d -> /app/lib
              opaque /app/lib
              exdev-fallback /app -> /tmp/app
              mkdir /tmp/app
              copy-up /app/link
              rename /app/link -> /tmp/app/link
              whiteout /app/link
              copy-up /app/main.py
              rename /app/main.py -> /tmp/app/main.py
              whiteout /app/main.py
              copy-up /app/config.json
              rename /app/config.json -> /tmp/app/config.json
              whiteout /app/config.json
              rename /app/lib -> /tmp/app/lib
              whiteout /app/lib
              chown /tmp/app
              chmod /tmp/app
              utimes /tmp/app
              whiteout /app
            container layer:
              /app whiteout
              /etc dir 0755
              /tmp dir 1777
              /tmp/app dir 0755
              /tmp/app/config.json file 0644 0:0 "{}\n"
              /tmp/app/lib dir 0755 opaque
              /tmp/app/lib/e dir 0755
              /tmp/app/link symlink -> main.py
              /tmp/app/main.py file 0644 0:0 "print('hi')\n"
              /tmp/lib2 dir 0755
              /tmp/lib2/data.bin file 0644 0:0 (1024 bytes)
              /tmp/lib2/u2 file 0644 0:0 "def f():\n    return 1\nmore\n"
              /tmp/lib2/util.py file 0644 0:0 "def f():\n    return 1\nmore\n"
        "#]],
    );
}

#[test]
fn cp_into_itself_copies_in_inode_order_lower_entries_first_the_new_directory_last() {
    check(
        r#"cd /tmp; mkdir -p d4/e; mkdir d4/d4; cp -r d4 d4/d4; cp -r /app /app/lib"#,
        expect![[r#"
            status 1
            stderr:
            cp: cannot copy a directory, 'd4', into itself, 'd4/d4/d4'
            cp: cannot copy a directory, '/app', into itself, '/app/lib/app'
            events:
              copy-up /tmp
              mkdir /tmp/d4
              mkdir /tmp/d4/e
              mkdir /tmp/d4/d4
              mkdir /tmp/d4/d4/d4
              mkdir /tmp/d4/d4/d4/e
              mkdir /tmp/d4/d4/d4/d4
              copy-up /app
              copy-up /app/lib
              mkdir /app/lib/app
              mkdir /app/lib/app/lib
              create /app/lib/app/lib/data.bin
              write /app/lib/app/lib/data.bin
              create /app/lib/app/lib/util.py
              write /app/lib/app/lib/util.py
            container layer:
              /app dir 0755
              /app/lib dir 0755
              /app/lib/app dir 0755
              /app/lib/app/lib dir 0755
              /app/lib/app/lib/data.bin file 0644 0:0 (1024 bytes)
              /app/lib/app/lib/util.py file 0644 0:0 "def f():\n    return 1\n"
              /tmp dir 1777
              /tmp/d4 dir 0755
              /tmp/d4/d4 dir 0755
              /tmp/d4/d4/d4 dir 0755
              /tmp/d4/d4/d4/d4 dir 0755
              /tmp/d4/d4/d4/e dir 0755
              /tmp/d4/e dir 0755
        "#]],
    );
}

#[test]
fn cp_r_reports_the_same_file_met_inside_the_tree() {
    // Checked on kernel 6.18 (overlayfs on tmpfs): `c` is older than `d/d`, so GNU cp, which
    // walks a directory in inode order, meets `c` first.
    check(
        r#"cd /tmp; mkdir d; echo x > d/c; mkdir d/d; ln d/c d/d/c; cp -r d d"#,
        expect![[r#"
            status 1
            stderr:
            cp: 'd/c' and 'd/d/c' are the same file
            cp: cannot copy a directory, 'd', into itself, 'd/d'
            events:
              copy-up /tmp
              mkdir /tmp/d
              create /tmp/d/c
              write /tmp/d/c
              mkdir /tmp/d/d
              link /tmp/d/d/c -> /tmp/d/c
              mkdir /tmp/d/d/d
              create /tmp/d/d/d/c
              write /tmp/d/d/d/c
            container layer:
              /tmp dir 1777
              /tmp/d dir 0755
              /tmp/d/c file 0644 0:0 "x\n"
              /tmp/d/d dir 0755
              /tmp/d/d/c file 0644 0:0 "x\n"
              /tmp/d/d/d dir 0755
              /tmp/d/d/d/c file 0644 0:0 "x\n"
        "#]],
    );
}

#[test]
fn cp_r_walks_container_entries_in_the_order_they_were_made() {
    // Checked on kernel 6.18: `d/d` is older than `c`, so GNU cp copies `d/d` first, goes into
    // itself there and never reaches `c` at the top (no "same file" message).
    check(
        r#"cd /tmp; mkdir -p d/d; echo x > d/c; ln d/c d/d/c; cp -r d d"#,
        expect![[r#"
            status 1
            stderr:
            cp: cannot copy a directory, 'd', into itself, 'd/d'
            events:
              copy-up /tmp
              mkdir /tmp/d
              mkdir /tmp/d/d
              create /tmp/d/c
              write /tmp/d/c
              link /tmp/d/d/c -> /tmp/d/c
              mkdir /tmp/d/d/d
              create /tmp/d/d/d/c
              write /tmp/d/d/d/c
            container layer:
              /tmp dir 1777
              /tmp/d dir 0755
              /tmp/d/c file 0644 0:0 "x\n"
              /tmp/d/d dir 0755
              /tmp/d/d/c file 0644 0:0 "x\n"
              /tmp/d/d/d dir 0755
              /tmp/d/d/d/c file 0644 0:0 "x\n"
        "#]],
    );
}

#[test]
fn cp_r_into_itself_stops_before_entries_made_after_the_way_in() {
    // kernel_diff seeds 14 (case 93) and 21 (case 157), checked on kernel 6.18: `e` is older
    // than `b`, so the copy goes into itself through `e` before it reaches `b`.
    check(
        r#"cd /tmp; mkdir -p d1/e; truncate -s 3 d1/b; cp -r d1 d1/e"#,
        expect![[r#"
            status 1
            stderr:
            cp: cannot copy a directory, 'd1', into itself, 'd1/e/d1'
            events:
              copy-up /tmp
              mkdir /tmp/d1
              mkdir /tmp/d1/e
              create /tmp/d1/b
              truncate /tmp/d1/b
              mkdir /tmp/d1/e/d1
              mkdir /tmp/d1/e/d1/e
            container layer:
              /tmp dir 1777
              /tmp/d1 dir 0755
              /tmp/d1/b file 0644 0:0 "\0\0\0"
              /tmp/d1/e dir 0755
              /tmp/d1/e/d1 dir 0755
              /tmp/d1/e/d1/e dir 0755
        "#]],
    );
}

#[test]
fn cp_r_sees_a_renamed_directory_keep_its_place_in_the_creation_order() {
    // Checked on kernel 6.18: rename keeps the inode, so `e` (made as `x` before `b`) still
    // comes first.
    check(
        r#"cd /tmp; mkdir -p d/x; touch d/b; mv d/x d/e; cp -r d d/e"#,
        expect![[r#"
            status 1
            stderr:
            cp: cannot copy a directory, 'd', into itself, 'd/e/d'
            events:
              copy-up /tmp
              mkdir /tmp/d
              mkdir /tmp/d/x
              create /tmp/d/b
              rename /tmp/d/x -> /tmp/d/e
              mkdir /tmp/d/e/d
              mkdir /tmp/d/e/d/e
            container layer:
              /tmp dir 1777
              /tmp/d dir 0755
              /tmp/d/b file 0644 0:0 ""
              /tmp/d/e dir 0755
              /tmp/d/e/d dir 0755
              /tmp/d/e/d/e dir 0755
        "#]],
    );
}

#[test]
fn cp_into_itself_visits_the_directories_it_made_oldest_first() {
    check(
        r#"cd /tmp; mkdir -p d/a d/d; cp -r d d"#,
        expect![[r#"
            status 1
            stderr:
            cp: cannot copy a directory, 'd', into itself, 'd/d'
            events:
              copy-up /tmp
              mkdir /tmp/d
              mkdir /tmp/d/a
              mkdir /tmp/d/d
              mkdir /tmp/d/d/a
              mkdir /tmp/d/d/d
            container layer:
              /tmp dir 1777
              /tmp/d dir 0755
              /tmp/d/a dir 0755
              /tmp/d/d dir 0755
              /tmp/d/d/a dir 0755
              /tmp/d/d/d dir 0755
        "#]],
    );
}

#[test]
fn cp_into_itself_meets_a_copied_up_file_where_its_lower_inode_sits() {
    check(
        r#"mv /etc/hosts /app/a; cp -r /app /app/lib; ls /app/lib/app /app/lib/app/lib"#,
        expect![[r#"
            status 0
            stdout:
            /app/lib/app:
            lib

            /app/lib/app/lib:
            data.bin
            util.py
            stderr:
            cp: cannot copy a directory, '/app', into itself, '/app/lib/app'
            events:
              copy-up /etc
              copy-up /app
              copy-up /etc/hosts
              rename /etc/hosts -> /app/a
              whiteout /etc/hosts
              copy-up /app/lib
              mkdir /app/lib/app
              mkdir /app/lib/app/lib
              create /app/lib/app/lib/data.bin
              write /app/lib/app/lib/data.bin
              create /app/lib/app/lib/util.py
              write /app/lib/app/lib/util.py
            container layer:
              /app dir 0755
              /app/a file 0644 0:0 "127.0.0.1 localhost\n"
              /app/lib dir 0755
              /app/lib/app dir 0755
              /app/lib/app/lib dir 0755
              /app/lib/app/lib/data.bin file 0644 0:0 (1024 bytes)
              /app/lib/app/lib/util.py file 0644 0:0 "def f():\n    return 1\n"
              /etc dir 0755
              /etc/hosts whiteout
        "#]],
    );
}

#[test]
fn cp_of_a_symlink_as_a_link_cannot_overwrite_a_directory() {
    check(
        r#"mkdir -p /tmp/d/link; cp -a /app/link /tmp/d; cp -r /app/link /tmp/d/link; echo $?"#,
        expect![[r#"
            status 0
            stdout:
            0
            stderr:
            cp: cannot overwrite directory '/tmp/d/link' with non-directory
            events:
              copy-up /tmp
              mkdir /tmp/d
              mkdir /tmp/d/link
              symlink /tmp/d/link/link
            container layer:
              /tmp dir 1777
              /tmp/d dir 0755
              /tmp/d/link dir 0755
              /tmp/d/link/link symlink -> main.py
        "#]],
    );
}

#[test]
fn cp_a_replaces_a_symlink_to_a_file_with_other_names() {
    check(
        r#"cd /tmp; echo b > b; ln b b2; ln -s b s; echo new > n; cp -a n s; cat b"#,
        expect![[r#"
            status 0
            stdout:
            b
            events:
              copy-up /tmp
              create /tmp/b
              write /tmp/b
              link /tmp/b2 -> /tmp/b
              symlink /tmp/s
              create /tmp/n
              write /tmp/n
              remove /tmp/s
              create /tmp/s
              write /tmp/s
              chown /tmp/s
              chmod /tmp/s
              utimes /tmp/s
            container layer:
              /tmp dir 1777
              /tmp/b file 0644 0:0 "b\n"
              /tmp/b2 file 0644 0:0 "b\n"
              /tmp/n file 0644 0:0 "new\n"
              /tmp/s file 0644 0:0 "new\n"
        "#]],
    );
}

#[test]
fn cp_into_itself_meets_a_lower_hard_link_where_its_first_name_sits() {
    // Layer 0: /c, and /d1 with d2/ and h, a hard link of /c (made where /c is, before /d1).
    let mut c = Container::new(Arc::new(Image::empty()), Options::default());
    c.write_file(&p("/c"), b"c\n", false).unwrap();
    c.mkdir(&p("/d1"), 0o755).unwrap();
    c.mkdir(&p("/d1/d2"), 0o755).unwrap();
    c.link(&p("/c"), &p("/d1/h")).unwrap();
    let image = Arc::new(Image::new(vec![Arc::new(c.upper().clone())]).unwrap());
    let mut sh = Shell::new(Container::new(image, Options::default()));
    expect![[r#"
        status 0
        stdout:
        d2
        h
        stderr:
        cp: cannot copy a directory, '/d1', into itself, '/d1/d2/d1'
        events:
          copy-up /d1
          copy-up /d1/d2
          mkdir /d1/d2/d1
          create /d1/d2/d1/h
          write /d1/d2/d1/h
          mkdir /d1/d2/d1/d2
        container layer:
          /d1 dir 0755
          /d1/d2 dir 0755
          /d1/d2/d1 dir 0755
          /d1/d2/d1/d2 dir 0755
          /d1/d2/d1/h file 0644 0:0 "c\n"
    "#]]
    .assert_eq(&render(&mut sh, "cp -r /d1 /d1/d2; ls /d1/d2/d1"));
}

#[test]
fn cp_into_itself_through_a_symlink_in_the_typed_target_will_not_create_a_directory_hard_link() {
    check(
        r#"cd /tmp; mkdir d1; ln -s d1 a; cp -r d1 a/c; echo $?; mkdir d2; ln -s d2 b; cp -a d2 b"#,
        expect![[r#"
            status 1
            stdout:
            1
            stderr:
            cp: will not create hard link 'a/c/c' to directory 'a/c'
            cp: cannot copy a directory, 'd2', into itself, 'b/d2'
            events:
              copy-up /tmp
              mkdir /tmp/d1
              symlink /tmp/a
              mkdir /tmp/d1/c
              mkdir /tmp/d2
              symlink /tmp/b
              mkdir /tmp/d2/d2
              chown /tmp/d2/d2
              chmod /tmp/d2/d2
              utimes /tmp/d2/d2
            container layer:
              /tmp dir 1777
              /tmp/a symlink -> d1
              /tmp/b symlink -> d2
              /tmp/d1 dir 0755
              /tmp/d1/c dir 0755
              /tmp/d2 dir 0755
              /tmp/d2/d2 dir 0755
        "#]],
    );
}

mod no_panic {
    //! No input makes the shell panic: random text, and random lines built from the words and
    //! operators the shell knows (which reach far deeper than random text does).
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn fresh() -> Shell {
        static IMAGE: OnceLock<Arc<Image>> = OnceLock::new();
        let mut c = Container::new(IMAGE.get_or_init(image).clone(), Options::default());
        c.set_clock(NOW);
        Shell::new(c)
    }

    const WORDS: &[&str] = &[
        "echo",
        "printf",
        "cat",
        "ls",
        "stat",
        "mkdir",
        "rmdir",
        "rm",
        "touch",
        "mv",
        "cp",
        "chmod",
        "chown",
        "ln",
        "truncate",
        "head",
        "tail",
        "cd",
        "pwd",
        "true",
        "false",
        "-l",
        "-a",
        "-R",
        "-r",
        "-f",
        "-p",
        "-s",
        "-n",
        "-e",
        "-m",
        "-1",
        "-c",
        "5",
        "1K",
        "+3",
        "u+x",
        "go-w",
        "a=r",
        "755",
        "root:root",
        "0",
        "/",
        "/app",
        "/app/lib",
        "/app/lib/a.py",
        "/app/link",
        "/etc/hosts",
        "/tmp",
        "/tmp/x",
        "x",
        "..",
        ".",
        "*",
        "/app/*",
        "?",
        "'a b'",
        "\"$?\"",
        "$?",
        "%s",
        "%d\\n",
        "\\",
        "\\n",
        ";",
        "&&",
        "||",
        "|",
        "&",
        ">",
        ">>",
        "<",
        "2>",
        "2>&1",
        ">&2",
        "/dev/null",
        "$HOME",
        "${PWD}",
        "~",
        "~/x",
        "exit",
        "[",
        "]",
        "test",
        "wc",
        "-v",
        "-d",
        "$(ls)",
        "`",
        "/tmp/x/",
        "-pv",
        "-2",
        "+1",
        "%q",
        "%5.2d",
        "\\c",
        "${",
        "$",
        "&>",
        "1>&2",
        "<<",
        "#",
        "'",
        "\"",
        "(",
        ")",
        ";;",
        ".wh.x",
        "/app/.wh.y",
        "\t",
        "\n",
    ];

    fn line() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(WORDS), 0..12).prop_map(|w| w.join(" "))
    }

    proptest! {
        // 256 cases by default; PROPTEST_CASES asks for a longer run.
        #![proptest_config(ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
            ..ProptestConfig::default()
        })]

        #[test]
        fn random_text_never_panics(text in any::<String>()) {
            let mut sh = fresh();
            let _ = sh.run_line(&text);
            let _ = sh.run_script(&text);
        }

        #[test]
        fn random_command_lines_never_panic(lines in prop::collection::vec(line(), 1..6)) {
            let mut sh = fresh();
            for l in &lines {
                let _ = sh.run_line(l);
            }
            let _ = sh.run_script(&lines.join("\n"));
        }
    }
}

#[test]
fn cp_of_a_file_onto_a_symlink_to_a_directory_cannot_overwrite_the_directory() {
    // coreutils stats a regular file's target through symlinks: a link to a directory is one.
    check(
        "mkdir -p /tmp/d/sub; ln -s sub /tmp/d/b; echo x > /tmp/b; cp /tmp/b /tmp/d; cp -r /tmp/b /tmp/d",
        expect![[r#"
            status 1
            stderr:
            cp: cannot overwrite directory '/tmp/d/b' with non-directory
            cp: cannot overwrite directory '/tmp/d/b' with non-directory
            events:
              copy-up /tmp
              mkdir /tmp/d
              mkdir /tmp/d/sub
              symlink /tmp/d/b
              create /tmp/b
              write /tmp/b
            container layer:
              /tmp dir 1777
              /tmp/b file 0644 0:0 "x\n"
              /tmp/d dir 0755
              /tmp/d/b symlink -> sub
              /tmp/d/sub dir 0755
        "#]],
    );
}

/// A shell over one layer read from a tar of `(path, entry)` in that order: `"dir"`, `"file"`
/// (its path as content) or `"link:TARGET"` (a hard-link entry).
fn shell_over_tar(entries: &[(&str, &str)]) -> Shell {
    let mut b = tar::Builder::new(Vec::new());
    for (path, kind) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_mtime(BUILT as u64);
        match *kind {
            "dir" => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, format!("{path}/"), std::io::empty())
                    .unwrap();
            }
            "file" => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(path.len() as u64);
                b.append_data(&mut h, path, path.as_bytes()).unwrap();
            }
            sym if sym.starts_with("symlink:") => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                b.append_link(&mut h, path, &sym["symlink:".len()..])
                    .unwrap();
            }
            link => {
                let target = link.strip_prefix("link:").unwrap();
                h.set_entry_type(tar::EntryType::Link);
                h.set_mode(0o644);
                h.set_size(0);
                b.append_link(&mut h, path, target).unwrap();
            }
        }
    }
    let layer = layerlab::oci::import_layer(&b.into_inner().unwrap()).unwrap();
    let image = Arc::new(Image::new(vec![Arc::new(layer)]).unwrap());
    let mut c = Container::new(image, Options::default());
    c.set_clock(NOW);
    Shell::new(c)
}

/// The names under `dir` in the merged view, one a line.
fn tree_under(sh: &Shell, dir: &str) -> String {
    let c = sh.container();
    let mut out = String::new();
    let mut stack = vec![p(dir)];
    while let Some(d) = stack.pop() {
        let Ok(names) = c.readdir(&d) else { continue };
        for (name, t) in names {
            let path = d.join(name).unwrap();
            out.push_str(&format!("{path}\n"));
            if t == layerlab::FileType::Dir {
                stack.push(path);
            }
        }
    }
    out
}

#[test]
fn cp_r_meets_a_copied_up_symlink_where_its_lower_inode_is() {
    // kernel_diff_more_commands seed 25 (case 198), checked on kernel 6.18 with default
    // options: `chown -R` copies `d1/a` up, and the copy keeps the lower inode number (a
    // symlink with one name has an origin, as a file has), which comes before `d1/d2`'s; so GNU
    // cp copies `a` before it goes into itself through `d2`.
    let mut sh = shell_over_tar(&[("d1", "dir"), ("d1/a", "symlink:missing"), ("d1/d2", "dir")]);
    let out = sh.run_script("chown -R 7 d1/a; cp -a d1 d1/d2/d2");
    assert_eq!(out.status, 1);
    expect![[r#"
        cp: cannot copy a directory, 'd1', into itself, 'd1/d2/d2'
    "#]]
    .assert_eq(&String::from_utf8_lossy(&out.stderr));
    expect![[r#"
        /d1/d2/d2/a
        /d1/d2/d2/d2
    "#]]
    .assert_eq(&tree_under(&sh, "/d1/d2/d2"));
}

#[test]
fn cp_r_meets_a_redirected_directory_where_its_lower_directory_is() {
    // kernel_diff_more_commands seed 34 (case 21), redirect_dir=on, checked on kernel 6.18:
    // `mv b d1/d1/b` keeps the lower `b`'s inode, made before `d1/d1/a`'s, so GNU cp copies
    // `d1/d1/b` first (the first directory it makes), then `a`, then `d1`; walking the new
    // `d1/d1/d1` it meets that first directory and stops, before `a`.
    let mut sh = shell_over_tar(&[
        ("a", "symlink:d1"),
        ("b", "dir"),
        ("d1", "dir"),
        ("d1/d1", "dir"),
        ("d1/d1/a", "file"),
        ("d1/d1/d1", "dir"),
    ]);
    sh.container_mut().set_options(Options {
        redirect_dir: true,
        ..Options::default()
    });
    let out = sh.run_script("mv b d1/d1/b; cp -a d1 a");
    assert_eq!(out.status, 1);
    expect![[r#"
        cp: cannot copy a directory, 'd1', into itself, 'a/d1'
    "#]]
    .assert_eq(&String::from_utf8_lossy(&out.stderr));
    expect![[r#"
        /d1/d1/d1/a
        /d1/d1/d1/b
        /d1/d1/d1/d1
    "#]]
    .assert_eq(&tree_under(&sh, "/d1/d1/d1"));
}

#[test]
fn cp_r_meets_a_lower_hard_link_where_the_tar_made_its_inode() {
    // kernel_diff seed 4 (case 457), checked on kernel 6.18: extracting the tar makes the
    // inode at the entry that carries the data (`d2/d2/d1`), after `d2/d2`; so GNU cp, walking
    // `d2` in inode order, goes into itself through `d2/d2` before it reaches `d2/b`, although
    // `b` sorts first.
    let mut sh = shell_over_tar(&[
        ("d2", "dir"),
        ("d2/d2", "dir"),
        ("d2/d2/d1", "file"),
        ("d2/b", "link:d2/d2/d1"),
    ]);
    expect![[r#"
        status 1
        stderr:
        cp: cannot copy a directory, 'd2', into itself, 'd2/d2'
        events:
          copy-up /d2
          copy-up /d2/d2
          mkdir /d2/d2/d2
          create /d2/d2/d2/d1
          write /d2/d2/d2/d1
        container layer:
          /d2 dir 0755
          /d2/d2 dir 0755
          /d2/d2/d2 dir 0755
          /d2/d2/d2/d1 file 0644 0:0 "d2/d2/d1"
    "#]]
    .assert_eq(&render(&mut sh, "cp -r d2 d2"));
}

#[test]
fn cp_r_meets_a_name_split_from_a_lower_hard_link_at_its_new_inode() {
    // kernel_diff seed 54 (case 284), checked on kernel 6.18: with index=off the copy-up of
    // `d2/b` (a lower file with two names) gets an inode of its own, newer than the lower
    // `d2/d2`, and the kernel shows that one (not the lower inode, which another name still
    // has); GNU cp therefore goes into itself through `d2/d2` before it reaches `b`.
    let mut sh = shell_over_tar(&[
        ("d2", "dir"),
        ("d2/b", "file"),
        ("d2/d2", "dir"),
        ("a", "link:d2/b"),
    ]);
    expect![[r#"
        status 1
        stderr:
        cp: cannot copy a directory, 'd2', into itself, 'd2/d2'
        events:
          copy-up /d2
          copy-up /d2/b
          hardlink-break /d2/b
          chmod /d2/b
          copy-up /d2/d2
          mkdir /d2/d2/d2
          chown /d2/d2/d2
          chmod /d2/d2/d2
          utimes /d2/d2/d2
          chown /d2/d2
          chmod /d2/d2
          utimes /d2/d2
        container layer:
          /d2 dir 0755
          /d2/b file 0600 0:0 "d2/b"
          /d2/d2 dir 0755
          /d2/d2/d2 dir 0755
    "#]]
    .assert_eq(&render(&mut sh, "chmod 600 d2/b; cp -a d2 d2"));
}

// ----- found by kernel_diff_more_commands (bash 5.2, coreutils 9.1 on a real overlay mount) -----

/// Runs `script` in a fresh shell on the test image: status, stdout, stderr.
fn run3(script: &str) -> (i32, String, String) {
    let mut sh = shell();
    let out = sh.run_script(script);
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn chown_of_a_dangling_or_looping_symlink_cannot_dereference_it() {
    assert_eq!(
        run3("ln -s /nowhere /tmp/dangling\nchown 1000:1000 /tmp/dangling"),
        (
            1,
            String::new(),
            "chown: cannot dereference '/tmp/dangling': No such file or directory\n".into()
        )
    );
    assert_eq!(
        run3("ln -s loop /tmp/loop\nchown 0 /tmp/loop").2,
        "chown: cannot dereference '/tmp/loop': Too many levels of symbolic links\n"
    );
    // A path that is not there at all is still "cannot access".
    assert_eq!(
        run3("chown 0 /tmp/nope").2,
        "chown: cannot access '/tmp/nope': No such file or directory\n"
    );
}

#[test]
fn chown_r_changes_symlinks_themselves_and_never_follows_them() {
    // -R implies -P: the operand and the links inside are lchown'ed, dangling or not.
    let mut sh = shell();
    let out = sh.run_script("ln -s /nowhere /tmp/dangling\nchown -R 7 /tmp/dangling /app");
    assert_eq!(out.status, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let upper = sh.container().upper();
    for link in ["/tmp/dangling", "/app/link"] {
        match upper.get(&p(link)) {
            Some(Node::Symlink(s)) => assert_eq!(upper.inodes[s].meta.uid, 7, "{link}"),
            other => panic!("{link}: {other:?}"),
        }
    }
    // The file the link points to was changed through its own name, not through the link.
    let main = sh.container().stat(&p("/app/main.py")).unwrap();
    assert_eq!(main.uid, 7);
}

#[test]
fn ln_f_onto_a_directory_names_it_without_quotes_like_coreutils() {
    assert_eq!(
        run3("mkdir -p /tmp/d/d\ncd /tmp\nln -sf d d").2,
        "ln: d/d: cannot overwrite directory\n"
    );
}

#[test]
fn ln_sf_of_a_file_onto_itself_is_the_same_file() {
    assert_eq!(
        run3("cd /etc\nln -sf hosts hosts"),
        (
            1,
            String::new(),
            "ln: 'hosts' and 'hosts' are the same file\n".into()
        )
    );
    // A link to a name elsewhere is fine: the source is looked up from the working directory.
    assert_eq!(run3("cd /etc\nln -sf motd hosts\ncat hosts").0, 0);
}

#[test]
fn ln_f_reports_a_target_it_cannot_look_up_as_failed_to_access() {
    assert_eq!(
        run3("ln -f /etc/hosts /etc/motd/x").2,
        "ln: failed to access '/etc/motd/x': Not a directory\n"
    );
    // Without -f the link(2) error is reported.
    assert_eq!(
        run3("ln /etc/hosts /etc/motd/x").2,
        "ln: failed to create hard link '/etc/motd/x' => '/etc/hosts': Not a directory\n"
    );
}

#[test]
fn truncate_c_ignores_every_missing_file_even_in_a_missing_directory() {
    assert_eq!(
        run3("truncate -c -s 5 /nodir/f"),
        (0, String::new(), String::new())
    );
    assert_eq!(
        run3("truncate -c -s 5 /etc/hosts/x").2,
        "truncate: cannot open '/etc/hosts/x' for writing: Not a directory\n"
    );
}

#[test]
fn cat_from_and_to_the_same_file_reads_it_after_the_truncation() {
    // `< f` opens f, then `> f` truncates that same file before cat reads it: bash leaves f
    // empty, for a lower file (copied up, then truncated) and for a container file alike.
    let mut sh = shell();
    let out =
        sh.run_script("cat < /etc/hosts > /etc/hosts\necho hi > /tmp/f\ncat < /tmp/f > /tmp/f");
    assert_eq!(out.status, 0);
    for f in ["/etc/hosts", "/tmp/f"] {
        assert_eq!(sh.container().read(&p(f)).unwrap().bytes(), b"", "{f}");
    }
    // Reading from one file and writing another still reads the whole file.
    let out = sh.run_script("cat < /etc/motd > /tmp/g; cat /tmp/g");
    assert_eq!(out.stdout, b"welcome\n");
}

#[test]
fn cp_r_into_a_set_group_id_directory_keeps_the_bit_the_new_directory_inherits() {
    // mkdir in a set-group-ID directory gives the new directory the bit; GNU cp -r then sets
    // the source's permission bits on top of the mode mkdir gave it.
    let mut sh = shell();
    let out = sh.run_script(
        "mkdir /tmp/s /tmp/src\nchmod 2755 /tmp/s\nchmod 0555 /tmp/src\ncp -r /tmp/src /tmp/s/copy",
    );
    assert_eq!(out.status, 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        sh.container().stat(&p("/tmp/s/copy")).unwrap().mode & 0o7777,
        0o2555
    );
}

#[test]
fn cp_r_into_itself_walks_the_entries_it_made_in_the_order_it_made_them() {
    // GNU cp reads a directory in inode order: d/d/a (made first) comes before d/d/c, so the
    // copy of d/d into d/d/d stops at a ("into itself") before it copies c. Kernel seed 0x67.
    let mut sh = shell();
    let out =
        sh.run_script("mkdir -p /tmp/d/a\nln -s c /tmp/d/c\nmkdir /tmp/d/d\ncd /tmp\ncp -r d d");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "cp: cannot copy a directory, 'd', into itself, 'd/d'\n"
    );
    let c = sh.container();
    assert!(c.stat(&p("/tmp/d/d/c")).is_ok());
    assert!(c.stat(&p("/tmp/d/d/d")).is_ok());
    assert!(
        c.stat(&p("/tmp/d/d/d/c")).is_err(),
        "c was copied after the stop"
    );
}

#[test]
fn cp_a_and_mv_across_layers_keep_the_set_group_id_bit_a_new_directory_inherits() {
    // Checked with GNU cp 9.1: `cp -a src p/x` with p 2755 and src 0750 gives p/x 2750.
    let mut sh = shell();
    let out = sh.run_script(
        "mkdir /tmp/p /tmp/src\nchmod 2755 /tmp/p\nchmod 0750 /tmp/src\ncp -a /tmp/src /tmp/p/x\nmv /app/lib /tmp/p/lib",
    );
    assert_eq!(out.status, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let c = sh.container();
    assert_eq!(c.stat(&p("/tmp/p/x")).unwrap().mode & 0o7777, 0o2750);
    // /app/lib is a lower directory: mv copies it (EXDEV) with its mode, and the bit.
    assert_eq!(c.stat(&p("/tmp/p/lib")).unwrap().mode & 0o7777, 0o2755);
}

#[test]
fn ln_f_onto_a_hard_link_of_the_same_file_only_copies_the_source_up() {
    // Kernel, seed 0xc with index=on: `ln -f c b` with b and c one lower inode leaves b in the
    // lower layer and copies c up (GNU ln links c to a temporary name, renames it over b, a
    // no-op for two names of one inode, and removes it).
    let mut c = Container::new(Arc::new(Image::empty()), Options::default());
    c.write_file(&p("/b"), b"x", false).unwrap();
    c.link(&p("/b"), &p("/c")).unwrap();
    let lower = Arc::new(c.upper().clone());
    let image = Arc::new(Image::new(vec![lower]).unwrap());
    let opts = Options {
        index: true,
        ..Options::default()
    };
    let mut sh = Shell::new(Container::new(image, opts));
    let out = sh.run_script("ln -f /c /b");
    assert_eq!(out.status, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let upper = sh.container().upper();
    assert!(upper.get(&p("/c")).is_some(), "c is copied up");
    assert!(upper.get(&p("/b")).is_none(), "b stays below");
    assert_eq!(upper.walk().len(), 1, "no temporary name is left");
}

#[test]
fn ln_f_onto_a_lower_hard_link_without_index_replaces_it_with_the_copied_up_file() {
    // Kernel, seed 5 without index: the copy-up gives c an inode of its own, so the rename
    // of the temporary name replaces b, and b and c are one upper inode.
    let mut c = Container::new(Arc::new(Image::empty()), Options::default());
    c.write_file(&p("/b"), b"x", false).unwrap();
    c.link(&p("/b"), &p("/c")).unwrap();
    let lower = Arc::new(c.upper().clone());
    let image = Arc::new(Image::new(vec![lower]).unwrap());
    let mut sh = Shell::new(Container::new(image, Options::default()));
    let out = sh.run_script("ln -f /c /b");
    assert_eq!(out.status, 0, "{}", String::from_utf8_lossy(&out.stderr));
    let c = sh.container();
    assert_eq!(c.stat(&p("/b")).unwrap().ino, c.stat(&p("/c")).unwrap().ino);
    assert_eq!(c.upper().walk().len(), 2, "b and c, no temporary name");
}

#[test]
fn cp_a_onto_an_existing_directory_keeps_its_set_id_bits() {
    // Kernel, seed 9: `cp -a d2/d1/d1 d2` onto d2/d1 (6644) leaves d2/d1 6755.
    let mut sh = shell();
    let out = sh.run_script(
        "cd /tmp\nmkdir -p d2/d1/d1\nchmod 7777 d2/d1 && chmod 0644 d2/d1\ncp -a d2/d1/d1 d2",
    );
    assert_eq!(out.status, 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        sh.container().stat(&p("/tmp/d2/d1")).unwrap().mode & 0o7777,
        0o6755
    );
}

#[test]
fn test_compares_integers_and_head_tail_count_bytes_and_lines() {
    check(
        "[ 2 -eq 2 ]; echo $?; [ 2 -ne 2 ]; echo $?; [ 1 -le 1 ]; echo $?; [ 3 -gt 2 ]; echo $?; [ 2 -ge 3 ]; echo $?; [ 1 -lt 2 ]; echo $?; [ -1 -lt 0 ]; echo $?; [ x -eq y ]; echo $?; [ 1 -gt y ]; echo $?
printf 'abcdef\\n' > /tmp/b; head -c 2 /tmp/b; echo; tail -c 3 /tmp/b; head -c -4 /tmp/b; echo; tail -c +5 /tmp/b; printf '1\\n2\\n3\\n' > /tmp/l; head -n -1 /tmp/l; tail -n 1 /tmp/l; head -c 0 /tmp/l; tail -n +9 /tmp/l",
        expect![[r#"
            status 0
            stdout:
            0
            1
            0
            0
            1
            0
            0
            2
            2
            ab
            ef
            abc
            ef
            1
            2
            3
            stderr:
            bash: line 1: [: x: integer expression expected
            bash: line 1: [: y: integer expression expected
            events:
              copy-up /tmp
              create /tmp/b
              write /tmp/b
              create /tmp/l
              write /tmp/l
            container layer:
              /tmp dir 1777
              /tmp/b file 0644 0:0 "abcdef\n"
              /tmp/l file 0644 0:0 "1\n2\n3\n"
        "#]],
    );
}

/// GNU ln without -s links a symlink itself; cp and mv then see two names of one file: mv
/// refuses ("are the same file"), cp -P and cp -a do nothing and succeed, cp -a keeps the
/// names linked in its copy and cp -r does not, ln -f keeps them linked. Checked with bash 5.2
/// and coreutils 9.1.
#[test]
fn a_hard_link_of_a_symlink_is_one_file_to_ln_cp_and_mv() {
    check(
        "cd /tmp; ln -s t s; ln s s2; ls -l s s2; mv s s2; echo \"mv $?\"
cp -P s s2; echo \"cp-P $?\"; cp -a s s2; echo \"cp-a $?\"
mkdir d; ln -s x d/a; ln d/a d/b; cp -a d e; cp -r d f; ls -l e f
ln -f d/a d/b; echo \"ln-f $?\"; ls -l d",
        expect![[r#"
            status 0
            stdout:
            lrwxrwxrwx 2 root root 1 Nov 15 22:13 s -> t
            lrwxrwxrwx 2 root root 1 Nov 15 22:13 s2 -> t
            mv 1
            cp-P 0
            cp-a 0
            e:
            total 0
            lrwxrwxrwx 2 root root 1 Nov 15 22:13 a -> x
            lrwxrwxrwx 2 root root 1 Nov 15 22:13 b -> x

            f:
            total 0
            lrwxrwxrwx 1 root root 1 Nov 15 22:13 a -> x
            lrwxrwxrwx 1 root root 1 Nov 15 22:13 b -> x
            ln-f 0
            total 0
            lrwxrwxrwx 2 root root 1 Nov 15 22:13 a -> x
            lrwxrwxrwx 2 root root 1 Nov 15 22:13 b -> x
            stderr:
            mv: 's' and 's2' are the same file
            events:
              copy-up /tmp
              symlink /tmp/s
              link /tmp/s2 -> /tmp/s
              mkdir /tmp/d
              symlink /tmp/d/a
              link /tmp/d/b -> /tmp/d/a
              mkdir /tmp/e
              symlink /tmp/e/a
              chown /tmp/e/a
              utimes /tmp/e/a
              link /tmp/e/b -> /tmp/e/a
              chown /tmp/e
              chmod /tmp/e
              utimes /tmp/e
              mkdir /tmp/f
              symlink /tmp/f/a
              symlink /tmp/f/b
              link /tmp/d/.ln-tmp0 -> /tmp/d/a
              remove /tmp/d/.ln-tmp0
            container layer:
              /tmp dir 1777
              /tmp/d dir 0755
              /tmp/d/a symlink -> x
              /tmp/d/b symlink -> x
              /tmp/e dir 0755
              /tmp/e/a symlink -> x
              /tmp/e/b symlink -> x
              /tmp/f dir 0755
              /tmp/f/a symlink -> x
              /tmp/f/b symlink -> x
              /tmp/s symlink -> t
              /tmp/s2 symlink -> t
        "#]],
    );
}

/// A saved state is a history of scripts and actions, so a session with linked symlinks in an
/// image layer and in the container layer loads back to the same layers, link counts and
/// exported container layer (its tar's hard-link entry included).
#[test]
fn a_saved_session_with_linked_symlinks_loads_back_the_same() {
    use layerlab::{Action, BaseLayer, Host};
    let base = vec![BaseLayer {
        created_by: "RUN ln -s /etc/hosts /h && ln /h /h2".into(),
        script: "mkdir /etc\necho x > /etc/hosts\nln -s /etc/hosts /h\nln /h /h2".into(),
    }];
    let mut host = Host::new(base, Options::default()).unwrap();
    host.run("ln -s t /s; ln /s /s2; chown -h 7 /h").unwrap();
    host.apply(Action::Commit {
        message: "step".into(),
    })
    .unwrap();
    host.run("ln /s /s3").unwrap();
    let again = Host::load_json(&host.save_json()).unwrap();
    assert_eq!(again.layers().unwrap(), host.layers().unwrap());
    let (a, b) = (host.container().unwrap(), again.container().unwrap());
    for name in ["/h", "/h2", "/s", "/s2", "/s3"] {
        let (x, y) = (a.stat(&p(name)).unwrap(), b.stat(&p(name)).unwrap());
        assert_eq!((x.nlink, x.ino, x.uid), (y.nlink, y.ino, y.uid), "{name}");
    }
    // index=off: linking the committed /s copies it up, which splits it from /s2.
    let st = |n: &str| a.stat(&p(n)).unwrap();
    assert_eq!(
        (st("/s3").nlink, st("/s2").nlink, st("/h2").nlink),
        (2, 2, 2)
    );
    assert_eq!(st("/s").ino, st("/s3").ino);
    assert_ne!(st("/s").ino, st("/s2").ino);
    let tar = layerlab::oci::export_layer(b.upper());
    assert_eq!(tar, layerlab::oci::export_layer(a.upper()));
    let back = layerlab::oci::import_layer(&tar).unwrap();
    assert_eq!(
        back.get(&p("/s")).unwrap(),
        back.get(&p("/s3")).unwrap(),
        "one symlink inode, two names"
    );
}

#[test]
fn head_and_tail_count_a_last_line_without_a_newline() {
    // What GNU head and tail print for the same file (coreutils 9, checked on this machine).
    let mut sh = shell();
    let out = sh.run_script(
        "printf 'a\\nb\\nc' > /tmp/f; head -n 2 /tmp/f; echo '|'; tail -n 1 /tmp/f; echo '|'; tail -n 2 /tmp/f; echo '|'; head -n -1 /tmp/f; echo '|'; tail -n +2 /tmp/f; echo '|'; head -n -3 /tmp/f; echo '|'",
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "a\nb\n|\nc|\nb\nc|\na\nb\n|\nb\nc|\n|\n"
    );
}

#[test]
fn a_write_to_a_full_container_layer_is_the_commands_write_error() {
    // A redirection whose data the container refuses (its layer is full) fails as a full disk
    // does on Linux: the command's "write error: No space left on device", status 1, and the
    // file keeps what it held; it never passes silently as an empty file with status 0.
    let mut c = Container::new(image(), Options::default());
    c.set_clock(NOW);
    c.set_limits(layerlab::Limits {
        max_bytes: 100,
        max_entries: 1000,
    });
    let mut sh = Shell::new(c);
    let x40 = "x".repeat(40);
    let out = render(
        &mut sh,
        &format!(
            "echo {x40} > /a\ncat /a /a /a > /b\necho status $?\nwc -c /a /b\necho {x40} >> /a\necho {x40} >> /a\necho status $?\ncat /a /a > /a2 && echo wrote\nwc -c /a"
        ),
    );
    expect![[r#"
        status 0
        stdout:
        status 1
        41 /a
         0 /b
        41 total
        status 1
        82 /a
        stderr:
        cat: write error: No space left on device
        bash: line 6: echo: write error: No space left on device
        cat: write error: No space left on device
        events:
          create /a
          write /a
          create /b
          write /a
          create /a2
        container layer:
          /a file 0644 0:0 (82 bytes)
          /a2 file 0644 0:0 ""
          /b file 0644 0:0 ""
    "#]]
    .assert_eq(&out);
}
