//! The JavaScript API's boundary, as tables: what goes in, what comes out, and that every
//! failure is a JavaScript `Error` with `kind`, `errno` and `path`, never a panic.
//!
//! Runs in Node and in headless Chromium: `cargo xtask test` (or
//! `wasm-pack test --mode no-install --node -- --test wasm`).
#![cfg(target_arch = "wasm32")]

use layerlab::wasm::LayerLab;
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

/// A value out of the API, as JSON; fails if it is not plain JSON-like data.
fn v(js: JsValue) -> Value {
    serde_wasm_bindgen::from_value(js).expect("a plain JSON-like value")
}

fn js(value: Value) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .expect("serialisable")
}

use serde::Serialize;

fn lab() -> LayerLab {
    LayerLab::new(None).expect("the default scenario builds")
}

/// The `kind`, `errno` and `path` of a thrown value, after checking it is an `Error`.
fn error_of(e: JsValue) -> (String, String, Option<String>) {
    assert!(e.is_instance_of::<js_sys::Error>(), "not an Error: {e:?}");
    let get = |k: &str| js_sys::Reflect::get(&e, &JsValue::from(k)).expect("a property");
    let message = get("message").as_string().unwrap_or_default();
    assert!(!message.is_empty(), "an error says what went wrong");
    (
        get("kind").as_string().expect("kind"),
        get("errno").as_string().expect("errno"),
        get("path").as_string(),
    )
}

fn kinds(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("an array of events")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("?").to_string())
        .collect()
}

fn paths_of(tree: &Value) -> Vec<String> {
    tree.as_array()
        .expect("an array of entries")
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["path"].as_str().unwrap_or("?"),
                e["type"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

#[wasm_bindgen_test]
fn run_returns_output_status_and_events() {
    // (line, stdout, stderr, status, event kinds)
    let table: &[(&str, &str, &str, i64, &[&str])] = &[
        ("cat /etc/hostname", "layerlab\n", "", 0, &[]),
        (
            "echo 10.0.0.2 db >> /etc/hosts",
            "",
            "",
            0,
            &["copy-up", "copy-up", "write"],
        ),
        ("rm /app/VERSION", "", "", 0, &["whiteout"]),
        (
            "cat /nope",
            "",
            "cat: /nope: No such file or directory\n",
            1,
            &[],
        ),
        (
            "rm -rf /app/data; mkdir /app/data",
            "",
            "",
            0,
            &["copy-up", "whiteout", "whiteout", "mkdir", "opaque"],
        ),
        ("cd /app && pwd", "/app\n", "", 0, &[]),
    ];
    let mut lab = lab();
    for (line, stdout, stderr, status, events) in table {
        let out = v(lab.run(line).expect("run never throws"));
        assert_eq!(out["stdout"], json!(stdout), "{line}");
        assert_eq!(out["stderr"], json!(stderr), "{line}");
        assert_eq!(out["status"], json!(status), "{line}");
        let got = kinds(&out["events"]);
        let got: Vec<&str> = got
            .iter()
            .map(String::as_str)
            .filter(|k| *k != "copy-up" || events.contains(&"copy-up"))
            .collect();
        assert_eq!(&got, events, "{line}");
    }
    let all = v(lab.events(None).expect("events"));
    let count = all.as_array().map_or(0, Vec::len);
    let tail = v(lab.events(Some(count as u32 - 2)).expect("events"));
    assert_eq!(
        tail.as_array().map(Vec::as_slice),
        all.as_array().map(|a| &a[count - 2..])
    );
    assert_eq!(v(lab.events(Some(9999)).expect("events")), json!([]));
    let first = &all[0];
    assert_eq!(first["seq"], json!(1));
    assert_eq!(first["kind"], json!("copy-up"));
    assert_eq!(first["layers"], json!([0, 3]));
    assert!(first["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("copy-up:")));
    assert_eq!(
        lab.event_count().expect("count") as usize,
        all.as_array().map_or(0, Vec::len)
    );
    assert_eq!(lab.cwd().expect("cwd"), "/app");
    assert_eq!(lab.completions("con").expect("completions"), ["config/"]);
}

#[wasm_bindgen_test]
fn values_are_plain_objects_and_arrays() {
    let mut lab = lab();
    let layers = lab.layers(None).expect("layers");
    assert!(js_sys::Array::is_array(&layers));
    let first = js_sys::Array::from(&layers).get(0);
    let proto = js_sys::Object::get_prototype_of(&first);
    assert!(
        JsValue::from(proto)
            == JsValue::from(js_sys::Object::get_prototype_of(&js_sys::Object::new())),
        "a plain object, not a Map"
    );
    let layers = v(layers);
    assert_eq!(layers.as_array().map(Vec::len), Some(4));
    assert!(layers[0]["diffId"]
        .as_str()
        .is_some_and(|d| d.starts_with("sha256:")));
    assert_eq!(layers[3]["diffId"], Value::Null);
    assert_eq!(
        layers[3]["createdBy"],
        json!("the container's writable layer")
    );
    assert_eq!(
        v(lab.options().expect("options")),
        json!({"redirectDir": false, "metacopy": false, "index": false})
    );
    let merged = v(lab.tree(JsValue::from("merged"), None).expect("tree"));
    let version = merged
        .as_array()
        .and_then(|a| a.iter().find(|e| e["path"] == "/app/VERSION"))
        .cloned();
    assert_eq!(
        version,
        Some(json!({"path": "/app/VERSION", "type": "file", "size": 3, "mode": 0o644, "layer": 2}))
    );
    let listed = v(lab
        .list(JsValue::from("merged"), "/app", None)
        .expect("list"));
    assert_eq!(
        paths_of(&listed),
        [
            "/app/VERSION file",
            "/app/config dir",
            "/app/data dir",
            "/app/start.sh file"
        ]
    );
    let st = v(lab.stat("/bin/sh", None).expect("stat"));
    assert_eq!(st["type"], json!("symlink"));
    assert_eq!(st["target"], json!("busybox"));
    let why = v(lab
        .explain("/usr/share/doc/base/changelog", None)
        .expect("explain"));
    assert_eq!(why["winner"], Value::Null);
    // Layer 0's changelog is hidden by layer 2's opaque /usr/share/doc/base.
    assert_eq!(why["cells"][3]["role"], json!("masked"));
    assert!(why["cells"][3]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("opaque directory")));
}

#[wasm_bindgen_test]
fn every_failure_is_an_error_with_kind_errno_and_path() {
    type Call = fn(&mut LayerLab) -> Result<(), JsValue>;
    // (what, call, kind, errno, path)
    let table: &[(&str, Call, &str, &str, Option<&str>)] = &[
        (
            "stat of a missing path",
            |l| l.stat("/nope", None).map(drop),
            "not-found",
            "ENOENT",
            Some("/nope"),
        ),
        (
            "a relative path",
            |l| l.stat("etc", None).map(drop),
            "invalid-input",
            "EINVAL",
            Some("etc"),
        ),
        (
            "a name that begins with .wh.",
            |l| l.explain("/etc/.wh.hosts", None).map(drop),
            "invalid-input",
            "EINVAL",
            Some("/etc/.wh.hosts"),
        ),
        (
            "an unknown tree",
            |l| l.tree(JsValue::from("upper"), None).map(drop),
            "invalid-input",
            "EINVAL",
            None,
        ),
        (
            "a missing layer",
            |l| l.tree(JsValue::from(9), None).map(drop),
            "not-found",
            "ENOENT",
            None,
        ),
        (
            "a negative layer",
            |l| l.tree(JsValue::from(-1), None).map(drop),
            "invalid-input",
            "EINVAL",
            None,
        ),
        (
            "a step past the end",
            |l| l.tree(JsValue::from("merged"), Some(999)).map(drop),
            "invalid-input",
            "EINVAL",
            None,
        ),
        (
            "reading a directory",
            |l| l.read_file("/etc", None, JsValue::UNDEFINED).map(drop),
            "is-a-directory",
            "EISDIR",
            Some("/etc"),
        ),
        (
            "a missing container",
            |l| l.switch_container(42),
            "not-found",
            "ENOENT",
            None,
        ),
        (
            "options of the wrong type",
            |l| l.set_options(js(json!({"metacopy": "yes"}))).map(drop),
            "invalid-input",
            "EINVAL",
            None,
        ),
        (
            "an unknown option",
            |l| l.set_options(js(json!({"redirect_dir": true}))).map(drop),
            "invalid-input",
            "EINVAL",
            None,
        ),
    ];
    let mut lab = lab();
    for (what, call, kind, errno, path) in table {
        let e = call(&mut lab).expect_err(what);
        let (k, n, p) = error_of(e);
        assert_eq!(
            (k.as_str(), n.as_str(), p.as_deref()),
            (*kind, *errno, *path),
            "{what}"
        );
    }
    // Scenarios are checked too.
    for (scenario, kind) in [
        (
            json!({"layers": [{"createdBy": "x", "script": "rm /nope"}]}),
            "invalid-input",
        ),
        (json!({"bogus": 1}), "invalid-input"),
        (json!({"layers": [{"script": "true"}]}), "invalid-input"),
        (json!("a string"), "invalid-input"),
    ] {
        let e = LayerLab::new(Some(js(scenario.clone()).unchecked_into()))
            .err()
            .expect("a bad scenario throws");
        assert_eq!(error_of(e).0, kind, "{scenario}");
    }
}

#[wasm_bindgen_test]
fn a_custom_scenario_and_options() {
    let scenario = json!({
        "layers": [{"createdBy": "base", "script": "mkdir /d\necho a > /d/f"}],
        "options": {"metacopy": true}
    });
    let mut lab = LayerLab::new(Some(js(scenario).unchecked_into())).expect("builds");
    assert_eq!(v(lab.options().expect("options"))["metacopy"], json!(true));
    let out = v(lab.run("chmod 600 /d/f").expect("run"));
    let copy = out["events"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["path"] == "/d/f"))
        .cloned();
    assert_eq!(copy.map(|e| e["metadataOnly"].clone()), Some(json!(true)));
    let set = v(lab.set_options(js(json!({"index": true}))).expect("set"));
    assert_eq!(
        set,
        json!({"redirectDir": false, "metacopy": true, "index": true})
    );
}

#[wasm_bindgen_test]
fn save_and_load_round_trip() {
    let mut lab = lab();
    lab.run("echo hi > /new; rm /etc/passwd").expect("run");
    let c = v(lab.commit("add /new").expect("commit"));
    assert!(c["diffId"]
        .as_str()
        .is_some_and(|d| d.starts_with("sha256:")));
    assert_eq!(kinds(&c["events"]), ["commit"]);
    let second = lab.new_container().expect("new container");
    lab.run("mkdir /x").expect("run");
    lab.set_options(js(json!({"redirectDir": true})))
        .expect("options");
    let saved = lab.save();
    let mut again = LayerLab::load(&saved).expect("loads");
    assert_eq!(again.save(), saved);
    assert_eq!(again.current_container(), second);
    assert_eq!(
        v(again.containers().expect("containers")),
        v(lab.containers().expect("containers"))
    );
    assert_eq!(
        v(again.layers(None).expect("layers")),
        v(lab.layers(None).expect("layers"))
    );
    assert_eq!(
        v(again.tree(JsValue::from("merged"), None).expect("tree")),
        v(lab.tree(JsValue::from("merged"), None).expect("tree"))
    );
    assert_eq!(
        v(again.events(None).expect("events")),
        v(lab.events(None).expect("events"))
    );
}

#[wasm_bindgen_test]
fn undo_and_redo() {
    let mut lab = lab();
    assert!(!lab.can_undo());
    lab.run("rm /etc/hosts").expect("run");
    lab.run("touch /t").expect("run");
    assert!(lab.undo());
    assert!(lab.can_redo());
    assert_eq!(lab.event_count().expect("count"), 2);
    assert!(lab.undo());
    assert_eq!(lab.event_count().expect("count"), 0);
    assert!(!lab.undo());
    assert!(!lab.redo().expect("redo").is_null());
    assert_eq!(
        v(lab
            .stat("/etc/hosts", None)
            .err()
            .map(|e| JsValue::from(error_of(e).1))
            .unwrap_or(JsValue::NULL)),
        json!("ENOENT")
    );
    assert!(!lab.redo().expect("redo").is_null());
    assert!(lab.redo().expect("redo").is_null());
    assert!(lab.read_file("/t", None, JsValue::UNDEFINED).is_ok());
}

#[wasm_bindgen_test]
fn redo_returns_what_run_returned() {
    let mut lab = lab();
    let ran = v(lab.run("echo hi; rm /etc/hosts").expect("run"));
    let committed = v(lab.commit("rm hosts").expect("commit"));
    assert!(lab.undo() && lab.undo());
    let again = v(lab.redo().expect("redo"));
    assert_eq!(again, ran, "the same output, status and events");
    assert_eq!(again["stdout"], json!("hi\n"));
    assert_eq!(kinds(&again["events"]), ["copy-up", "whiteout"]);
    let commit = v(lab.redo().expect("redo"));
    assert_eq!(commit["status"], json!(0));
    assert_eq!(commit["events"], committed["events"]);
    assert_eq!(
        v(lab.redo().expect("redo")),
        Value::Null,
        "nothing left to redo"
    );
}

#[wasm_bindgen_test]
fn history_lists_the_actions_as_saved() {
    let mut lab = lab();
    assert_eq!(v(lab.history().expect("history")), json!([]));
    lab.run("touch /a").expect("run");
    lab.commit("add /a").expect("commit");
    let id = lab.new_container().expect("new");
    lab.set_options(js(json!({"metacopy": true})))
        .expect("options");
    lab.switch_container(1).expect("switch");
    lab.remove_container(id).expect("remove");
    lab.run("touch /undone").expect("run");
    assert!(lab.undo());
    let history = v(lab.history().expect("history"));
    assert_eq!(
        history,
        json!([
            {"action": "run", "line": "touch /a"},
            {"action": "commit", "message": "add /a"},
            {"action": "new-container"},
            {"action": "set-options", "options": {"redirectDir": false, "metacopy": true, "index": false}},
            {"action": "switch", "id": 1},
            {"action": "remove-container", "id": id},
        ])
    );
    let saved: Value = serde_json::from_str(&lab.save()).expect("JSON");
    assert_eq!(saved["actions"], history, "the actions save() records");
}

#[wasm_bindgen_test]
fn read_file_of_one_layer_shows_what_is_masked() {
    let mut lab = lab();
    let layers = v(lab.layers(None).expect("layers"));
    let container = layers.as_array().map_or(0, Vec::len) - 1;
    // Which image layer holds /etc/hosts.
    let why = v(lab.explain("/etc/hosts", None).expect("explain"));
    let lower = why["winner"].as_u64().expect("a winner") as u32;
    let original = lab
        .read_file("/etc/hosts", None, JsValue::UNDEFINED)
        .expect("read");
    lab.run("echo extra >> /etc/hosts").expect("run");
    let after_echo = lab.event_count().expect("count");
    let read = |lab: &mut LayerLab, which: JsValue| lab.read_file("/etc/hosts", None, which);
    assert_eq!(
        read(&mut lab, JsValue::from(lower)).expect("lower"),
        original
    );
    let upper = format!("{original}extra\n");
    assert_eq!(read(&mut lab, JsValue::UNDEFINED).expect("merged"), upper);
    assert_eq!(
        read(&mut lab, JsValue::from("merged")).expect("merged"),
        upper
    );
    assert_eq!(
        read(&mut lab, JsValue::from("container")).expect("container"),
        upper
    );
    assert_eq!(
        read(&mut lab, JsValue::from(container as u32)).expect("by number"),
        upper
    );
    // Deleted: the merged view has nothing, the lower layer still holds it.
    lab.run("rm /etc/hosts").expect("run");
    let (kind, errno, path) = error_of(read(&mut lab, JsValue::UNDEFINED).expect_err("gone"));
    assert_eq!((kind.as_str(), errno.as_str()), ("not-found", "ENOENT"));
    assert_eq!(path.as_deref(), Some("/etc/hosts"));
    assert_eq!(
        read(&mut lab, JsValue::from(lower)).expect("lower"),
        original
    );
    // At an earlier step, the container layer's copy, since replaced by a whiteout.
    assert_eq!(
        lab.read_file("/etc/hosts", Some(after_echo), JsValue::from("container"))
            .expect("an earlier step"),
        upper
    );
    for (which, kind) in [
        (JsValue::from("container"), "invalid-input"),
        (JsValue::from(99), "not-found"),
        (JsValue::from("nope"), "invalid-input"),
        (JsValue::from(-1), "invalid-input"),
    ] {
        let e = read(&mut lab, which.clone()).expect_err("fails");
        assert_eq!(error_of(e).0, kind, "{which:?}");
    }
    let e = lab
        .read_file("/etc", None, JsValue::from(lower))
        .expect_err("a directory");
    assert_eq!(error_of(e).1, "EISDIR");
}

#[wasm_bindgen_test]
fn load_keeps_undo() {
    let mut lab = lab();
    lab.run("echo one > /a").expect("run");
    lab.run("echo two >> /a").expect("run");
    let mut again = LayerLab::load(&lab.save()).expect("loads");
    assert!(again.can_undo() && !again.can_redo());
    assert!(again.undo());
    assert_eq!(
        again
            .read_file("/a", None, JsValue::UNDEFINED)
            .expect("read"),
        "one\n"
    );
    assert!(again.undo());
    assert!(!again.undo(), "back at the scenario");
    let redone = v(again.redo().expect("redo"));
    assert_eq!(kinds(&redone["events"]), ["create", "write"]);
}

#[wasm_bindgen_test]
fn every_event_is_a_step_of_the_timeline() {
    let mut lab = lab();
    lab.run("echo more >> /etc/hosts; rm /app/VERSION")
        .expect("run");
    let events = v(lab.events(None).expect("events"));
    assert_eq!(
        kinds(&events),
        ["copy-up", "copy-up", "write", "copy-up", "whiteout"]
    );
    // (step, the container layer's tree, what /etc/hosts holds)
    let table: &[(u32, &[&str], &str)] = &[
        (0, &[], "ip6-loopback\n"),
        (1, &["/etc dir"], "ip6-loopback\n"),
        (2, &["/etc dir", "/etc/hosts file"], "ip6-loopback\n"),
        (3, &["/etc dir", "/etc/hosts file"], "more\n"),
        (4, &["/app dir", "/etc dir", "/etc/hosts file"], "more\n"),
        (
            5,
            &[
                "/app dir",
                "/app/VERSION whiteout",
                "/etc dir",
                "/etc/hosts file",
            ],
            "more\n",
        ),
    ];
    for (step, upper, hosts_end) in table {
        let tree = v(lab
            .tree(JsValue::from("container"), Some(*step))
            .expect("tree"));
        assert_eq!(paths_of(&tree), *upper, "step {step}");
        let hosts = lab
            .read_file("/etc/hosts", Some(*step), JsValue::UNDEFINED)
            .expect("read");
        assert!(hosts.ends_with(hosts_end), "step {step}: {hosts:?}");
        let merged = v(lab
            .tree(JsValue::from("merged"), Some(*step))
            .expect("tree"));
        let has_version = paths_of(&merged).iter().any(|p| p == "/app/VERSION file");
        assert_eq!(has_version, *step < 5, "step {step}");
        let layers = v(lab.layers(Some(*step)).expect("layers"));
        assert_eq!(layers[3]["entries"], json!(upper.len()), "step {step}");
    }
    // Asking again (the page re-renders) gives the same answer.
    let again = v(lab.tree(JsValue::from("container"), Some(1)).expect("tree"));
    assert_eq!(paths_of(&again), ["/etc dir"]);
}

#[wasm_bindgen_test]
fn hostile_saved_states_are_errors_not_panics() {
    let deep = "[".repeat(100_000);
    let many = format!(
        r#"{{"version":1,"base":[],"actions":[{}]}}"#,
        vec![r#"{"action":"new-container"}"#; 10_001].join(",")
    );
    let table: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("not JSON", "{".into()),
        ("null", "null".into()),
        ("deeply nested", deep),
        (
            "a future version",
            r#"{"version":99,"base":[],"actions":[]}"#.into(),
        ),
        (
            "a wrong type",
            r#"{"version":"1","base":[],"actions":[]}"#.into(),
        ),
        (
            "a huge number",
            r#"{"version":1e400,"base":[],"actions":[]}"#.into(),
        ),
        (
            "an unknown action",
            r#"{"version":1,"base":[],"actions":[{"action":"explode"}]}"#.into(),
        ),
        (
            "a missing container",
            r#"{"version":1,"base":[],"actions":[{"action":"switch","id":4294967295}]}"#.into(),
        ),
        (
            "a failing base script",
            r#"{"version":1,"base":[{"created_by":"x","script":"rm /nope"}],"actions":[]}"#.into(),
        ),
        ("too many actions", many),
        (
            "too many containers",
            format!(
                r#"{{"version":1,"base":[],"actions":[{}]}}"#,
                vec![r#"{"action":"new-container"}"#; 40].join(",")
            ),
        ),
    ];
    for (what, json) in table {
        let e = LayerLab::load(&json)
            .err()
            .unwrap_or_else(|| panic!("{what} loads"));
        let (kind, errno, _) = error_of(e);
        assert_eq!(
            (kind.as_str(), errno.as_str()),
            ("format", "EINVAL"),
            "{what}"
        );
    }
}

#[wasm_bindgen_test]
fn containers_come_and_go() {
    let mut lab = lab();
    let first = lab.current_container();
    let second = lab.new_container().expect("new");
    assert_ne!(first, second);
    let list = v(lab.containers().expect("containers"));
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[1]["current"], json!(true));
    assert_eq!(list[1]["imageLayers"], json!(3));
    lab.switch_container(first).expect("switch");
    assert_eq!(lab.current_container(), first);
    lab.remove_container(second).expect("remove");
    let e = lab.remove_container(second).expect_err("already gone");
    assert_eq!(error_of(e).1, "ENOENT");
}
