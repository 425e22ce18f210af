//! The wasm face: one JavaScript class, `LayerLab`, over one simulated [`Host`].
//!
//! This is the only module that names `wasm_bindgen` or `js_sys`, and it is compiled only for
//! `wasm32`. It stays thin: every method parses its arguments, calls the engine and hands the
//! engine's values out through `serde_wasm_bindgen` as plain JavaScript objects. Engine errors
//! become JavaScript `Error`s with `kind`, `errno`, `path` and `op` properties ([`js_error`]).
//! Nothing here indexes, unwraps or expects on input, so no Rust panic reaches the page; the
//! panic hook is there only to make an engine bug readable in the console.

use crate::browse::{default_scenario, Which};
use crate::container::{Container, Options};
use crate::error::{Error, ErrorKind, Result};
use crate::host::{Action, BaseLayer, Host};
use crate::json;
use crate::path::VPath;
use crate::shell::Output;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// The module's allocator: talc, whose code is smaller than Rust's default (dlmalloc) in the
/// module the page downloads. Single-threaded wasm only, which is all this crate builds.
#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** What happened, in the engine's closed set of event kinds. */
export type EventKind =
  | "create" | "mkdir" | "symlink" | "link" | "write" | "truncate" | "chmod" | "chown"
  | "utimes" | "copy-up" | "whiteout" | "opaque" | "remove" | "rename" | "exdev-fallback"
  | "redirect" | "hardlink-break" | "commit" | "volume-write";

/** One event of a container's stream. Layers count from 0 at the bottom; the container layer
 * is the number of image layers. */
export interface LayerEvent {
  /** Position in the container's stream, from 1: the timeline step it ends. */
  seq: number;
  kind: EventKind;
  path: string;
  /** The second path of a rename, link or redirect. */
  to?: string;
  /** The layers involved, source first. */
  layers: number[];
  /** Bytes a real overlayfs would copy or write. */
  bytes: number;
  /** Copy-ups with metacopy=on: only metadata moved. */
  metadataOnly?: boolean;
  /** One plain sentence that explains the event. */
  message: string;
}

/** What a command line printed, its exit status and the events it caused. */
export interface RunResult {
  stdout: string;
  stderr: string;
  status: number;
  events: LayerEvent[];
}

/** The three overlayfs toggles (all off by default, as in the kernel and Docker). */
export interface OverlayOptions {
  redirectDir: boolean;
  metacopy: boolean;
  index: boolean;
}

/** One layer of the current container, bottom first; the last is the writable layer. */
export interface LayerInfo {
  index: number;
  /** "sha256:..." for image layers; null for the writable container layer. */
  diffId: string | null;
  createdBy: string;
  /** Bytes at rest in the layer. */
  bytes: number;
  /** Entries, whiteouts included. */
  entries: number;
  /** Bytes of this layer that the layers above hide (wasted). */
  hiddenBytes: number;
}

export interface ContainerInfo {
  id: number;
  current: boolean;
  /** How many image layers it runs on. */
  imageLayers: number;
  options: OverlayOptions;
  /** Bytes in its writable layer. */
  bytes: number;
}

/** Which tree to list: the merged view, the container's writable layer, or an image layer
 * by index (0 is the bottom layer). */
export type TreeName = "merged" | "container" | number;

export type EntryType = "file" | "dir" | "opaque" | "symlink" | "whiteout";

/** One entry of a tree, in tree order (a directory right before its children). */
export interface TreeEntry {
  path: string;
  type: EntryType;
  /** Bytes for files, the target's length for symlinks, 0 otherwise. */
  size: number;
  mode: number;
  target?: string;
  /** Merged view only: the layer the entry comes from. */
  layer?: number;
  /** A directory renamed with redirectDir: the lower path it merges with. */
  redirect?: string;
  /** A file copied up with metacopy whose data is still below. */
  metacopy?: boolean;
}

/** lstat of a merged-view path. */
export interface Stat {
  type: "file" | "dir" | "symlink";
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  nlink: number;
  /** The layer the entry comes from. */
  layer: number;
  ino: number;
  target?: string;
}

/** One layer's part at a path, for "why". */
export interface ExplainCell {
  layer: number;
  state: "file" | "dir" | "opaque" | "symlink" | "whiteout" | "none";
  size: number;
  role: "wins" | "merged" | "deletes" | "masked" | "absent";
  /** One sentence: why. */
  reason: string;
}

/** Which layer wins at a path and what it masks; cells run from the container layer down. */
export interface Explanation {
  path: string;
  winner: number | null;
  cells: ExplainCell[];
}

/** One line of `docker diff`. */
export interface Change {
  path: string;
  kind: "A" | "C" | "D";
}

export interface CommitResult {
  /** The new image layer's DiffID. */
  diffId: string;
  events: LayerEvent[];
}

/** Something a user did, as `history()` and saved states record it. */
export type Action =
  | { action: "run"; line: string }
  | { action: "commit"; message: string }
  | { action: "new-container" }
  | { action: "remove-container"; id: number }
  | { action: "switch"; id: number }
  | { action: "set-options"; options: OverlayOptions };

/** A base image, one shell script per layer (bottom first), and the first container's
 * toggles. Every field is optional; the default is a small Linux-like image. */
export interface Scenario {
  layers?: { createdBy: string; script: string }[];
  options?: Partial<OverlayOptions>;
}

/** What every method throws: a JavaScript Error with the engine's classification. */
export interface LayerLabError extends Error {
  /** "not-found", "already-exists", "invalid-input", "format", ... */
  kind: string;
  /** The errno name: "ENOENT", "EEXIST", "EXDEV", "EINVAL", ... */
  errno: string;
  /** The path concerned, or null. */
  path: string | null;
  /** The operation that failed, such as "stat", "tree" or "load". */
  op: string;
}
"#;

/// Turns an engine error into a JavaScript `Error` carrying `kind`, `errno`, `path` and `op`.
/// The one place errors cross the boundary.
pub fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let path = e.path().map_or(JsValue::NULL, JsValue::from);
    for (key, value) in [
        ("kind", JsValue::from(e.kind().name())),
        ("errno", JsValue::from(e.errno())),
        ("path", path),
        ("op", JsValue::from(e.op())),
    ] {
        // Setting a property on a fresh Error cannot fail; if it somehow did, the message
        // still says what went wrong.
        let _ = js_sys::Reflect::set(&err, &JsValue::from(key), &value);
    }
    err.into()
}

fn invalid(op: &'static str, detail: impl Into<String>) -> Error {
    Error::without_path(ErrorKind::InvalidInput, op, detail)
}

/// A value out to JavaScript as plain objects and numbers (not `Map`s or `BigInt`s).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(&invalid("serialize", e.to_string())))
}

/// A value in from JavaScript as a [`json::Value`]; anything that is not JSON-like data is an
/// `invalid-input` error naming `op`.
///
/// It goes through JSON text (`JSON.stringify`, then the engine's small JSON reader) rather
/// than serde_wasm_bindgen: serde_wasm_bindgen reads only the fields a struct names, so a
/// misspelt key (`redirect_dir` for `redirectDir`) would pass unnoticed, while
/// [`json::Value::fields`] refuses unknown keys; and the module already carries that reader
/// for saved states.
fn from_js<T>(
    op: &'static str,
    value: JsValue,
    read: impl FnOnce(&json::Value) -> Result<T, String>,
) -> Result<T, JsValue> {
    let bad = |e: String| js_error(&invalid(op, e));
    // JSON.stringify throws on cycles and BigInts, and gives undefined for functions.
    let text = js_sys::JSON::stringify(&value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| bad("not a JSON-like value".to_string()))?;
    let doc = json::parse(&text).map_err(bad)?;
    read(&doc).map_err(bad)
}

fn ok<T>(r: Result<T>) -> Result<T, JsValue> {
    r.map_err(|e| js_error(&e))
}

/// The scenario object of the constructor: `{layers?, options?}`, either of them null or left
/// out; unknown keys are refused.
#[derive(Default)]
struct ScenarioIn {
    layers: Option<Vec<BaseLayer>>,
    options: Option<OptionsIn>,
}

impl ScenarioIn {
    fn read(v: &json::Value) -> Result<ScenarioIn, String> {
        let [layers, options] = v.fields("scenario", ["layers", "options"], true)?;
        let layers = match layers {
            None | Some(json::Value::Null) => None,
            Some(l) => Some(BaseLayer::list_from_json(l, "layers", "createdBy", true)?),
        };
        let options = match options {
            None | Some(json::Value::Null) => None,
            Some(o) => Some(OptionsIn::read(o)?),
        };
        Ok(ScenarioIn { layers, options })
    }
}

/// Toggles to change; the ones left out (or null) keep their value. Unknown keys are refused.
#[derive(Default)]
struct OptionsIn {
    redirect_dir: Option<bool>,
    metacopy: Option<bool>,
    index: Option<bool>,
}

impl OptionsIn {
    fn read(v: &json::Value) -> Result<OptionsIn, String> {
        let [redirect_dir, metacopy, index] =
            v.fields("options", ["redirectDir", "metacopy", "index"], true)?;
        let flag = |f: Option<&json::Value>, name: &str| match f {
            None | Some(json::Value::Null) => Ok(None),
            Some(b) => b.bool(&format!("options.{name}")).map(Some),
        };
        Ok(OptionsIn {
            redirect_dir: flag(redirect_dir, "redirectDir")?,
            metacopy: flag(metacopy, "metacopy")?,
            index: flag(index, "index")?,
        })
    }

    fn over(&self, o: Options) -> Options {
        Options {
            redirect_dir: self.redirect_dir.unwrap_or(o.redirect_dir),
            metacopy: self.metacopy.unwrap_or(o.metacopy),
            index: self.index.unwrap_or(o.index),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunOut<'a> {
    stdout: String,
    stderr: String,
    status: i32,
    events: &'a [crate::event::Event],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommitOut<'a> {
    diff_id: String,
    events: &'a [crate::event::Event],
}

/// A simulated host: an image built from a scenario, containers on it, a shell in each, and a
/// history with undo, redo, save and load. See the README section "The JavaScript API".
#[wasm_bindgen]
pub struct LayerLab {
    host: Host,
    /// Bumped by every change, so a cached view of an earlier step is never stale.
    generation: u64,
    /// The last view of an earlier step (step, generation, container): the timeline asks for
    /// several trees of one step in a row, and each would otherwise replay.
    view: Option<(usize, u64, Container)>,
}

impl LayerLab {
    fn from_host(host: Host) -> LayerLab {
        LayerLab {
            host,
            generation: 0,
            view: None,
        }
    }

    fn changed(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.view = None;
    }

    /// The host and its current container, or the container's view at `step` events. Not
    /// generic over what the caller does with them, so the view cache is one function in the
    /// module rather than one copy per method.
    fn at(&mut self, step: Option<u32>) -> Result<(&Host, &Container), JsValue> {
        let total = ok(self.host.container())?.events().len();
        let n = match step {
            Some(n) if n as usize != total => n as usize,
            _ => return Ok((&self.host, ok(self.host.container())?)),
        };
        let hit = matches!(&self.view, Some((k, g, _)) if *k == n && *g == self.generation);
        if !hit {
            let view = ok(self.host.view_at(n))?.into_owned();
            self.view = Some((n, self.generation, view));
        }
        match &self.view {
            Some((_, _, c)) => Ok((&self.host, c)),
            None => Err(js_error(&invalid("view", "no view"))),
        }
    }
}

/// What `run` (and `redo`) return for a command's output.
fn run_out(out: &Output) -> Result<JsValue, JsValue> {
    to_js(&RunOut {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        status: out.status,
        events: &out.events,
    })
}

fn parse_path(op: &'static str, path: &str) -> Result<VPath> {
    VPath::parse(path).map_err(|e| {
        Error::new(e.kind(), op, path).with_detail(format!(
            "{e} (paths given to the API are absolute, such as /etc/hosts)"
        ))
    })
}

fn parse_which(which: &JsValue) -> Result<Which> {
    if let Some(s) = which.as_string() {
        return Which::parse(&s);
    }
    match which.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n < 1e9 => Ok(Which::Image(n as usize)),
        _ => Err(invalid(
            "tree",
            "a tree is \"merged\", \"container\" or an image layer index",
        )),
    }
}

#[wasm_bindgen]
impl LayerLab {
    /// A host built from `scenario` (or the default scenario when it is left out), with one
    /// container on its image. Throws if a layer's script fails.
    #[wasm_bindgen(constructor)]
    pub fn new(
        // An Object only so that the parameter is optional in TypeScript; nothing is checked
        // at the boundary, so any value arrives and from_js judges it.
        #[wasm_bindgen(unchecked_optional_param_type = "Scenario")] scenario: Option<
            js_sys::Object,
        >,
    ) -> Result<LayerLab, JsValue> {
        console_error_panic_hook::set_once();
        let scenario: ScenarioIn = match scenario {
            Some(s) if !s.is_undefined() && !s.is_null() => {
                from_js("scenario", s.into(), ScenarioIn::read)?
            }
            _ => ScenarioIn::default(),
        };
        let base = match scenario.layers {
            Some(layers) => layers,
            None => default_scenario(),
        };
        let options = scenario
            .options
            .unwrap_or_default()
            .over(Options::default());
        Ok(LayerLab::from_host(ok(Host::new(base, options))?))
    }

    /// Rebuilds a host from the JSON of [`LayerLab::save`] by replaying its history. Throws an
    /// error of kind `format` on anything corrupt or hostile.
    pub fn load(json: &str) -> Result<LayerLab, JsValue> {
        console_error_panic_hook::set_once();
        Ok(LayerLab::from_host(ok(Host::load_json(json))?))
    }

    /// The whole state as JSON: the scenario and every action since (a history, replayed by
    /// [`LayerLab::load`]).
    pub fn save(&self) -> String {
        self.host.save_json()
    }

    /// Runs a command line (or a script of several lines) in the current container.
    #[wasm_bindgen(unchecked_return_type = "RunResult")]
    pub fn run(&mut self, line: &str) -> Result<JsValue, JsValue> {
        let out = ok(self.host.run(line));
        self.changed();
        run_out(&out?)
    }

    /// Every event of the current container so far, in order (the timeline); with `from`, only
    /// the events after the first `from` (so a page can append what is new).
    #[wasm_bindgen(unchecked_return_type = "LayerEvent[]")]
    pub fn events(&self, from: Option<u32>) -> Result<JsValue, JsValue> {
        let all = ok(self.host.container())?.events();
        let from = from.map_or(0, |n| n as usize);
        to_js(all.get(from..).unwrap_or(&[]))
    }

    /// The number of events of the current container: the last step of the timeline.
    #[wasm_bindgen(js_name = eventCount)]
    pub fn event_count(&self) -> Result<u32, JsValue> {
        Ok(ok(self.host.container())?.events().len() as u32)
    }

    /// The current container's layers, bottom first, its writable layer last; with `step`, as
    /// they were after that many events.
    #[wasm_bindgen(unchecked_return_type = "LayerInfo[]")]
    pub fn layers(&mut self, step: Option<u32>) -> Result<JsValue, JsValue> {
        let (h, c) = self.at(step)?;
        let layers = ok(h.layers_of(c))?;
        to_js(&layers)
    }

    /// Every container.
    #[wasm_bindgen(unchecked_return_type = "ContainerInfo[]")]
    pub fn containers(&self) -> Result<JsValue, JsValue> {
        to_js(&self.host.containers())
    }

    /// The id of the current container.
    #[wasm_bindgen(js_name = currentContainer)]
    pub fn current_container(&self) -> u32 {
        self.host.current_id()
    }

    /// Starts a new container on the current image and switches to it; returns its id.
    #[wasm_bindgen(js_name = newContainer)]
    pub fn new_container(&mut self) -> Result<u32, JsValue> {
        let r = ok(self.host.apply(Action::NewContainer));
        self.changed();
        r?;
        Ok(self.host.current_id())
    }

    /// Removes a container and its writable layer.
    #[wasm_bindgen(js_name = removeContainer)]
    pub fn remove_container(&mut self, id: u32) -> Result<(), JsValue> {
        let r = ok(self.host.apply(Action::RemoveContainer { id }));
        self.changed();
        r.map(drop)
    }

    /// Makes another container the current one.
    #[wasm_bindgen(js_name = switchContainer)]
    pub fn switch_container(&mut self, id: u32) -> Result<(), JsValue> {
        let r = ok(self.host.apply(Action::Switch { id }));
        self.changed();
        r.map(drop)
    }

    /// The entries of a tree in tree order: `"merged"`, `"container"` or an image layer index;
    /// with `step`, as it was after that many events.
    #[wasm_bindgen(unchecked_return_type = "TreeEntry[]")]
    pub fn tree(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "TreeName")] which: JsValue,
        step: Option<u32>,
    ) -> Result<JsValue, JsValue> {
        let which = ok(parse_which(&which))?;
        let (_, c) = self.at(step)?;
        let tree = ok(c.tree(which))?;
        to_js(&tree)
    }

    /// The entries directly under the directory `dir` of a tree (one level, sorted), for
    /// listing a large tree lazily; with `step`, as it was then. A layer without the directory
    /// lists nothing.
    #[wasm_bindgen(unchecked_return_type = "TreeEntry[]")]
    pub fn list(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "TreeName")] which: JsValue,
        dir: &str,
        step: Option<u32>,
    ) -> Result<JsValue, JsValue> {
        let which = ok(parse_which(&which))?;
        let (_, c) = self.at(step)?;
        let entries = ok(parse_path("list", dir).and_then(|d| c.list(which, &d)))?;
        to_js(&entries)
    }

    /// `lstat` of an absolute path in the merged view; with `step`, as it was then.
    #[wasm_bindgen(unchecked_return_type = "Stat")]
    pub fn stat(&mut self, path: &str, step: Option<u32>) -> Result<JsValue, JsValue> {
        let (_, c) = self.at(step)?;
        let mut st = ok(parse_path("stat", path).and_then(|p| c.stat(&p)))?;
        // JavaScript numbers hold 53 bits; display inode numbers need no more.
        st.ino &= (1 << 53) - 1;
        to_js(&st)
    }

    /// The content of the file at an absolute path, as text (invalid UTF-8 replaced); with
    /// `step`, as it was then. Without `layer` (or with `"merged"`) it reads the merged view;
    /// with a layer (`"container"`, or an index, the container layer's included, as events
    /// and `explain` number layers) it reads that layer's own file, even one that layers above
    /// mask or delete.
    #[wasm_bindgen(js_name = readFile)]
    pub fn read_file(
        &mut self,
        path: &str,
        // Declared optional by hand: wasm-bindgen marks only trailing `Option`s optional, and
        // `readFile(path)` must stay valid TypeScript.
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] step: Option<u32>,
        #[wasm_bindgen(unchecked_optional_param_type = "TreeName | null")] layer: JsValue,
    ) -> Result<String, JsValue> {
        let which = if layer.is_undefined() || layer.is_null() {
            Which::Merged
        } else {
            ok(parse_which(&layer))?
        };
        let (_, c) = self.at(step)?;
        // The container layer's number, as events and explain give it, names it too.
        let which = match which {
            Which::Image(i) if i == c.image().layers().len() => Which::Container,
            w => w,
        };
        let blob = ok(parse_path("read", path).and_then(|p| c.read_in(which, &p)))?;
        Ok(String::from_utf8_lossy(blob.bytes()).into_owned())
    }

    /// Which layer wins at an absolute path and what it masks, by what ("why").
    #[wasm_bindgen(unchecked_return_type = "Explanation")]
    pub fn explain(&mut self, path: &str, step: Option<u32>) -> Result<JsValue, JsValue> {
        let (_, c) = self.at(step)?;
        let e = c.explain(&ok(parse_path("explain", path))?);
        to_js(&e)
    }

    /// The `docker diff` of the current container against its image.
    #[wasm_bindgen(unchecked_return_type = "Change[]")]
    pub fn diff(&mut self, step: Option<u32>) -> Result<JsValue, JsValue> {
        let (_, c) = self.at(step)?;
        let d = c.diff();
        to_js(&d)
    }

    /// Commits the current container's writable layer as a new image layer; the container
    /// continues on the new image with an empty writable layer.
    #[wasm_bindgen(unchecked_return_type = "CommitResult")]
    pub fn commit(&mut self, message: &str) -> Result<JsValue, JsValue> {
        let r = ok(self.host.apply(Action::Commit {
            message: message.to_string(),
        }));
        self.changed();
        let out = r?;
        let layers = ok(self.host.layers())?;
        let diff_id = layers
            .iter()
            .rev()
            .find_map(|l| l.diff_id)
            .map(|d| d.oci())
            .unwrap_or_default();
        to_js(&CommitOut {
            diff_id,
            events: &out.events,
        })
    }

    /// Changes the current container's toggles (the ones left out keep their value); returns
    /// them all.
    #[wasm_bindgen(js_name = setOptions, unchecked_return_type = "OverlayOptions")]
    pub fn set_options(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Partial<OverlayOptions>")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let change = from_js("options", options, OptionsIn::read)?;
        let options = change.over(ok(self.host.container())?.options());
        let r = ok(self.host.apply(Action::SetOptions { options }));
        self.changed();
        r?;
        to_js(&options)
    }

    /// The current container's toggles.
    #[wasm_bindgen(unchecked_return_type = "OverlayOptions")]
    pub fn options(&self) -> Result<JsValue, JsValue> {
        to_js(&ok(self.host.container())?.options())
    }

    /// Undoes the last action; false when there is nothing to undo.
    pub fn undo(&mut self) -> bool {
        let done = self.host.undo();
        self.changed();
        done
    }

    /// Redoes the last undone action and returns what [`LayerLab::run`] returns for it (the
    /// output and events of the redone command, commit or container change); `null` when
    /// there is nothing to redo.
    #[wasm_bindgen(unchecked_return_type = "RunResult | null")]
    pub fn redo(&mut self) -> Result<JsValue, JsValue> {
        let r = ok(self.host.redo_output());
        self.changed();
        match r? {
            Some(out) => run_out(&out),
            None => Ok(JsValue::NULL),
        }
    }

    /// The actions since the base image was built, oldest first, as `save()` records them
    /// (undone actions are not part of it): `{action: "run", line}`, `{action: "commit",
    /// message}`, `{action: "new-container"}`, `{action: "remove-container", id}`,
    /// `{action: "switch", id}`, `{action: "set-options", options}`.
    #[wasm_bindgen(unchecked_return_type = "Action[]")]
    pub fn history(&self) -> Result<JsValue, JsValue> {
        // The saved state's own JSON of the actions, parsed by JavaScript: the same shape as
        // serde's, without a serialiser for `Action` in the module.
        js_sys::JSON::parse(&self.host.actions_json())
            .map_err(|_| js_error(&invalid("history", "the actions' JSON did not parse")))
    }

    /// True when undo would do something.
    #[wasm_bindgen(js_name = canUndo)]
    pub fn can_undo(&self) -> bool {
        self.host.can_undo()
    }

    /// True when redo would do something.
    #[wasm_bindgen(js_name = canRedo)]
    pub fn can_redo(&self) -> bool {
        self.host.can_redo()
    }

    /// Tab completion of the path `word`, relative to the shell's working directory:
    /// the full words that could replace it, a `/` after directories.
    pub fn completions(&self, word: &str) -> Result<Vec<String>, JsValue> {
        Ok(ok(self.host.shell())?.complete(word))
    }

    /// The shell's working directory, for a prompt.
    pub fn cwd(&self) -> Result<String, JsValue> {
        Ok(ok(self.host.shell())?.cwd().to_string())
    }
}

// The Layer Lab side of the engine benchmarks, shared with `benches/engine.rs`.
#[cfg(feature = "wasm-bench")]
#[allow(dead_code)]
#[path = "../benches/workloads.rs"]
mod workloads;

/// The engine benchmarks of `benches/engine.rs`, Layer Lab column only, under wasm: the same
/// image, operations and sizes (`benches/workloads.rs`), timed the way the native bench times
/// them, with `performance.now()` in place of `Instant` (the engine itself has no clock). Only
/// with the `wasm-bench` feature; `node benches/wasm-node.mjs` builds and runs it.
#[cfg(feature = "wasm-bench")]
mod bench {

    use super::workloads::*;
    use crate::container::{Container, Options};
    use crate::path::VPath;
    use crate::Image;
    use std::hint::black_box;
    use std::sync::Arc;
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
    }

    /// Milliseconds since `t0`.
    fn since(t0: f64) -> f64 {
        performance_now() - t0
    }

    /// `best` of the native bench: the best time (ms) of one run of `f`, repeated for about
    /// `budget` (at least `min` times, at most 1000).
    fn best(cfg: &Cfg, min: usize, mut f: impl FnMut()) -> f64 {
        let budget = cfg.budget.as_secs_f64() * 1e3;
        let start = performance_now();
        let (mut n, mut best) = (0usize, f64::MAX);
        while n < min || (since(start) < budget && n < 1000) {
            let t = performance_now();
            f();
            best = best.min(since(t));
            n += 1;
        }
        best
    }

    fn image(specs: &[LayerSpec]) -> (Arc<Image>, f64) {
        let layers = specs.iter().map(|s| Arc::new(ll_layer(s))).collect();
        let t = performance_now();
        let image = Image::new(layers).expect("image");
        (Arc::new(image), since(t))
    }

    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct StatRow {
        layers: usize,
        build_ms: f64,
        cold_ns: f64,
        warm_ns: f64,
    }

    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Report {
        quick: bool,
        stat: Vec<StatRow>,
        stats: usize,
        script_ops: usize,
        script_layers: usize,
        script_ops_per_s: f64,
        big_entries: usize,
        big_layers: usize,
        big_whiteouts: usize,
        readdir_ns: f64,
        commit_bytes: usize,
        commit_bytes_per_s: f64,
        raw_sha256_bytes_per_s: f64,
    }

    /// Runs the four workloads and returns their figures as JSON (see `Report`).
    #[wasm_bindgen(js_name = runEngineBenchmarks)]
    pub fn run_engine_benchmarks(quick: bool) -> String {
        console_error_panic_hook::set_once();
        let cfg = Cfg::new(quick);
        let tree = Tree::new(&cfg);

        // stat: cold is the first pass on a fresh container; warm the best pass after the first
        // of blocks of four.
        let paths = stat_paths(&cfg, &tree);
        let n = paths.len() as f64;
        let mut stat = Vec::new();
        for &layers in &cfg.layer_counts {
            let (image, build_ms) = image(&tree.layers(layers));
            let c = Container::new(image, Options::default());
            let t = performance_now();
            ll_stat_pass(&c, &paths);
            let cold = since(t);
            let budget = cfg.budget.as_secs_f64() * 1e3;
            let (start, mut rounds, mut warm) = (performance_now(), 0, f64::MAX);
            while rounds < 3 || since(start) < budget {
                for i in 0..4 {
                    let t = performance_now();
                    ll_stat_pass(&c, &paths);
                    if i > 0 {
                        warm = warm.min(since(t));
                    }
                }
                rounds += 1;
            }
            stat.push(StatRow {
                layers,
                build_ms,
                cold_ns: cold * 1e6 / n,
                warm_ns: warm * 1e6 / n,
            });
        }

        // script: the best of five runs, each on a fresh container.
        let (image_s, _) = image(&tree.layers(cfg.script_layers));
        let ops = script(&cfg, &tree);
        let mut script_best = f64::MAX;
        for _ in 0..5 {
            let mut c = Container::new(image_s.clone(), Options::default());
            let t = performance_now();
            ll_script(&mut c, &ops);
            script_best = script_best.min(since(t));
        }
        drop(image_s);

        // readdir of the big merged directory.
        let expect = cfg.big_entries - cfg.big_whiteouts;
        let (image_r, _) = image(&big_dir_layers(&cfg));
        let c = Container::new(image_r, Options::default());
        let big = VPath::parse("/big").expect("path");
        let readdir = best(&cfg, 3, || {
            let list = c.readdir(&big).expect("readdir");
            assert_eq!(list.len(), expect);
            black_box(list);
        });
        drop(c);

        // commit: export + DiffID against raw sha256 over the same bytes.
        let layer = commit_layer(&cfg);
        let total = cfg.commit_files * cfg.commit_file_bytes;
        let commit = best(&cfg, 3, || {
            black_box(crate::oci::layer_diff_id(&layer));
        });
        let raw = best(&cfg, 3, || {
            use sha2::{Digest as _, Sha256};
            let mut h = Sha256::new();
            for inode in layer.inodes.values() {
                h.update(inode.data.bytes());
            }
            black_box(h.finalize());
        });

        let report = Report {
            quick,
            stat,
            stats: paths.len(),
            script_ops: ops.len(),
            script_layers: cfg.script_layers,
            script_ops_per_s: ops.len() as f64 / (script_best / 1e3),
            big_entries: cfg.big_entries,
            big_layers: cfg.big_layers,
            big_whiteouts: cfg.big_whiteouts,
            readdir_ns: readdir * 1e6,
            commit_bytes: total,
            commit_bytes_per_s: total as f64 / (commit / 1e3),
            raw_sha256_bytes_per_s: total as f64 / (raw / 1e3),
        };
        serde_json::to_string(&report).expect("json")
    }
}
