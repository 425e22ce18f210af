//! A simulated host: one image that grows by commits, several containers on it, and a history
//! that can be undone, redone, saved and replayed.
//!
//! The state is defined by its history: the scenario that built the base image (one shell
//! script per layer) and the actions since (command lines, commits, container changes, option
//! toggles). Saving writes that history as JSON; loading validates it and replays it, so a
//! hostile or corrupt document can at worst fail to load, never build an impossible state.
//! Undo keeps the states before each action, so it is instant; redo replays the action.

use crate::container::{Container, Limits, Options};
use crate::error::{Error, ErrorKind, Result};
use crate::event::Event;
use crate::inspect::{Explanation, ImageUsage, Usage};
use crate::json;
use crate::layer::{Digest, Layer};
use crate::oci;
use crate::path::VPath;
use crate::shell::{Output, Shell};
use crate::store::LayerStore;
use crate::union::Image;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

/// The version of the saved-state format.
pub const STATE_VERSION: u32 = 1;
/// The most actions a saved state may hold.
pub const MAX_ACTIONS: usize = 10_000;
/// How many earlier states undo keeps.
pub const UNDO_DEPTH: usize = 200;
/// The most containers one host may run.
pub const MAX_CONTAINERS: usize = 16;
/// The most bytes of file content one host may hold: its stored layers and every container's
/// writable layer together. Each container also has its own limit ([`Limits`]); this one keeps
/// a hostile share link (a file of 500 MiB in each of sixteen containers, or commit after
/// commit) from exhausting a browser tab's memory: a command that would go over it fails with
/// ENOSPC, as a full disk does.
pub const MAX_HOST_BYTES: u64 = 1 << 30;

/// A container's limits when the host already holds `held` bytes elsewhere: the default
/// limits, with no more bytes than are left of [`MAX_HOST_BYTES`].
fn limits_within_budget(held: u64) -> Limits {
    let limits = Limits::default();
    Limits {
        max_bytes: limits.max_bytes.min(MAX_HOST_BYTES.saturating_sub(held)),
        ..limits
    }
}

/// One layer of the base image, made by running a script in an empty container on the layers
/// below and committing the result (as a Dockerfile `RUN` step does).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseLayer {
    /// What created the layer, as `docker history` would show it.
    pub created_by: String,
    /// The script that makes the layer.
    pub script: String,
}

impl BaseLayer {
    /// A JSON array of `{CREATED_BY, script}` objects named `what` in errors; `created_by` is
    /// the key's spelling (`created_by` in saved states, `createdBy` in the JavaScript API),
    /// and `deny_unknown` refuses other keys.
    pub(crate) fn list_from_json(
        v: &json::Value,
        what: &str,
        created_by: &str,
        deny_unknown: bool,
    ) -> std::result::Result<Vec<BaseLayer>, String> {
        // A loop with `?` rather than a `collect` into a `Result`, which compiles the standard
        // library's collecting adapter again for each closure.
        let mut out = Vec::new();
        for (i, l) in v.array(what)?.iter().enumerate() {
            let at = format!("{what}[{i}]");
            let [by, script] = l.fields(&at, [created_by, "script"], deny_unknown)?;
            out.push(BaseLayer {
                created_by: json::required(by, &at, created_by)?
                    .str(&format!("{at}.{created_by}"))?
                    .to_string(),
                script: json::required(script, &at, "script")?
                    .str(&format!("{at}.script"))?
                    .to_string(),
            });
        }
        Ok(out)
    }
}

/// Something a user did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// A command line run in the current container.
    Run {
        /// The line.
        line: String,
    },
    /// Commit the current container's layer as a new image layer.
    Commit {
        /// What to record as the layer's `created_by`.
        message: String,
    },
    /// Start a new container on the current image and switch to it.
    NewContainer,
    /// Remove a container (its writable layer is gone).
    RemoveContainer {
        /// The container's id.
        id: u32,
    },
    /// Make another container the current one.
    Switch {
        /// The container's id.
        id: u32,
    },
    /// Set the overlayfs toggles of the current container.
    SetOptions {
        /// The new toggles.
        options: Options,
    },
}

/// A saved state: the history that rebuilds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedState {
    /// Always [`STATE_VERSION`].
    pub version: u32,
    /// The base image's layers, bottom first.
    pub base: Vec<BaseLayer>,
    /// The toggles of the first container.
    #[serde(default)]
    pub options: Options,
    /// The actions since, in order.
    pub actions: Vec<Action>,
}

impl SavedState {
    /// Reads a saved state from JSON, as `serde_json` would read it with this type's serde
    /// attributes: keys of objects are checked, unknown ones ignored, duplicates refused; the
    /// options may be left out and accept `redirect_dir` for `redirectDir`. A hand-written
    /// reader (see [`crate::json`]) keeps serde_json's parser out of the wasm module.
    pub fn from_json(text: &str) -> std::result::Result<SavedState, String> {
        let doc = json::parse(text)?;
        let [version, base, options, actions] = doc.fields(
            "the state",
            ["version", "base", "options", "actions"],
            false,
        )?;
        let version = json::required(version, "the state", "version")?.u32("version")?;
        let base = BaseLayer::list_from_json(
            json::required(base, "the state", "base")?,
            "base",
            "created_by",
            false,
        )?;
        let options = match options {
            Some(o) => options_from_json(o, "options")?,
            None => Options::default(),
        };
        let mut list = Vec::new();
        for (i, a) in json::required(actions, "the state", "actions")?
            .array("actions")?
            .iter()
            .enumerate()
        {
            list.push(Action::from_json(a, &format!("actions[{i}]"))?);
        }
        let actions = list;
        Ok(SavedState {
            version,
            base,
            options,
            actions,
        })
    }

    /// The state as JSON, byte for byte what `serde_json::to_string` writes for it.
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\"version\":{},\"base\":[", self.version);
        for (i, b) in self.base.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"created_by\":");
            json::write_str(&mut out, &b.created_by);
            out.push_str(",\"script\":");
            json::write_str(&mut out, &b.script);
            out.push('}');
        }
        out.push_str("],\"options\":");
        options_to_json(&mut out, &self.options);
        out.push_str(",\"actions\":");
        actions_to_json(&mut out, &self.actions);
        out.push('}');
        out
    }
}

/// `actions` as a JSON array, as saved states hold them.
fn actions_to_json(out: &mut String, actions: &[Action]) {
    out.push('[');
    for (i, a) in actions.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        a.to_json(out);
    }
    out.push(']');
}

impl Action {
    /// The action's name, as saved states spell it (the `action` key).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Run { .. } => "run",
            Action::Commit { .. } => "commit",
            Action::NewContainer => "new-container",
            Action::RemoveContainer { .. } => "remove-container",
            Action::Switch { .. } => "switch",
            Action::SetOptions { .. } => "set-options",
        }
    }

    fn from_json(v: &json::Value, what: &str) -> std::result::Result<Action, String> {
        let [tag, line, message, id, options] =
            v.fields(what, ["action", "line", "message", "id", "options"], false)?;
        fn need<'a>(
            f: Option<&'a json::Value>,
            what: &str,
            name: &str,
        ) -> std::result::Result<&'a json::Value, String> {
            json::required(f, what, name)
        }
        Ok(
            match json::required(tag, what, "action")?.str(&format!("{what}.action"))? {
                "run" => Action::Run {
                    line: need(line, what, "line")?
                        .str(&format!("{what}.line"))?
                        .to_string(),
                },
                "commit" => Action::Commit {
                    message: need(message, what, "message")?
                        .str(&format!("{what}.message"))?
                        .to_string(),
                },
                "new-container" => Action::NewContainer,
                "remove-container" => Action::RemoveContainer {
                    id: need(id, what, "id")?.u32(&format!("{what}.id"))?,
                },
                "switch" => Action::Switch {
                    id: need(id, what, "id")?.u32(&format!("{what}.id"))?,
                },
                "set-options" => Action::SetOptions {
                    options: options_from_json(
                        need(options, what, "options")?,
                        &format!("{what}.options"),
                    )?,
                },
                other => {
                    return Err(format!(
                        "{what}: unknown action `{other}`, expected one of `run`, `commit`, \
                     `new-container`, `remove-container`, `switch`, `set-options`"
                    ))
                }
            },
        )
    }

    fn to_json(&self, out: &mut String) {
        out.push_str("{\"action\":\"");
        out.push_str(self.name());
        out.push('"');
        match self {
            Action::Run { line } => {
                out.push_str(",\"line\":");
                json::write_str(out, line);
            }
            Action::Commit { message } => {
                out.push_str(",\"message\":");
                json::write_str(out, message);
            }
            Action::NewContainer => {}
            Action::RemoveContainer { id } | Action::Switch { id } => {
                out.push_str(&format!(",\"id\":{id}"));
            }
            Action::SetOptions { options } => {
                out.push_str(",\"options\":");
                options_to_json(out, options);
            }
        }
        out.push('}');
    }
}

/// The three toggles from JSON: all three required, `redirect_dir` accepted for
/// `redirectDir` (early saved states spelt it so), other keys ignored.
fn options_from_json(v: &json::Value, what: &str) -> std::result::Result<Options, String> {
    let [redirect, redirect_snake, metacopy, index] = v.fields(
        what,
        ["redirectDir", "redirect_dir", "metacopy", "index"],
        false,
    )?;
    if redirect.is_some() && redirect_snake.is_some() {
        return Err(format!("{what}: duplicate field `redirectDir`"));
    }
    Ok(Options {
        redirect_dir: json::required(redirect.or(redirect_snake), what, "redirectDir")?
            .bool(what)?,
        metacopy: json::required(metacopy, what, "metacopy")?.bool(what)?,
        index: json::required(index, what, "index")?.bool(what)?,
    })
}

fn options_to_json(out: &mut String, o: &Options) {
    out.push_str(&format!(
        "{{\"redirectDir\":{},\"metacopy\":{},\"index\":{}}}",
        o.redirect_dir, o.metacopy, o.index
    ));
}

/// A layer of the image, as the page lists it (camelCase keys: this is JavaScript's shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerInfo {
    /// Index from 0 at the bottom; the container layer is the number of image layers.
    pub index: usize,
    /// The layer's DiffID (`None` for the writable container layer, which has none yet).
    pub diff_id: Option<Digest>,
    /// What created it.
    pub created_by: String,
    /// Bytes at rest.
    pub bytes: u64,
    /// Entries, whiteouts included.
    pub entries: usize,
    /// Bytes hidden by the layers above.
    pub hidden_bytes: u64,
}

/// A container, as the page lists it (camelCase keys: this is JavaScript's shape).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInfo {
    /// Its id.
    pub id: u32,
    /// True for the current container.
    pub current: bool,
    /// How many image layers it runs on.
    pub image_layers: usize,
    /// Its toggles.
    pub options: Options,
    /// Bytes in its writable layer.
    pub bytes: u64,
}

#[derive(Clone, Debug)]
struct ImageLayer {
    layer: Arc<Layer>,
    diff_id: Digest,
    created_by: String,
}

#[derive(Clone, Debug)]
struct Running {
    shell: Shell,
    /// The image layers the container runs on (a prefix of the host's image when it started).
    layers: Vec<ImageLayer>,
}

/// The containers by id, in id order: what a `BTreeMap<u32, Running>` would give for the
/// few ([`MAX_CONTAINERS`]) a host runs, as a sorted vector, which keeps one more B-tree
/// instantiation (about 8 KB) out of the wasm module.
#[derive(Clone, Debug, Default)]
struct Containers(Vec<(u32, Running)>);

impl Containers {
    fn find(&self, id: &u32) -> std::result::Result<usize, usize> {
        self.0.binary_search_by_key(id, |(k, _)| *k)
    }

    fn get(&self, id: &u32) -> Option<&Running> {
        self.find(id).ok().map(|i| &self.0[i].1)
    }

    fn get_mut(&mut self, id: &u32) -> Option<&mut Running> {
        self.find(id).ok().map(|i| &mut self.0[i].1)
    }

    fn contains_key(&self, id: &u32) -> bool {
        self.find(id).is_ok()
    }

    fn insert(&mut self, id: u32, r: Running) {
        match self.find(&id) {
            Ok(i) => self.0[i].1 = r,
            Err(i) => self.0.insert(i, (id, r)),
        }
    }

    fn remove(&mut self, id: &u32) -> Option<Running> {
        self.find(id).ok().map(|i| self.0.remove(i).1)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn first_key(&self) -> Option<u32> {
        self.0.first().map(|(k, _)| *k)
    }

    fn iter(&self) -> impl Iterator<Item = (&u32, &Running)> {
        self.0.iter().map(|(k, r)| (k, r))
    }
}

/// Everything undo restores.
#[derive(Clone, Debug)]
struct State {
    image: Vec<ImageLayer>,
    containers: Containers,
    current: u32,
    next_id: u32,
    store: LayerStore,
}

/// A simulated host: see the module documentation.
#[derive(Clone, Debug)]
pub struct Host {
    base: Vec<BaseLayer>,
    options: Options,
    state: State,
    actions: Vec<Action>,
    undo: Vec<(State, Action)>,
    redo: Vec<Action>,
    clock: i64,
    /// The image part of the sizes ([`ImageUsage`]) of the last few images asked about,
    /// shared by clones (undo states, scratch hosts): images never change, so it is computed
    /// once per image and `layers()` costs what the container layer holds, not the image.
    usage_cache: Arc<Mutex<UsageCache>>,
}

/// Images and their [`ImageUsage`], the most recently used last.
type UsageCache = Vec<(Arc<Image>, Arc<ImageUsage>)>;

/// How many images' [`ImageUsage`] a host keeps.
const USAGE_CACHE: usize = 4;

impl Host {
    /// A host whose base image is built from `base` (one script per layer, bottom first), with
    /// one container on it using `options`.
    pub fn new(base: Vec<BaseLayer>, options: Options) -> Result<Host> {
        let mut store = LayerStore::new();
        let mut image: Vec<ImageLayer> = Vec::new();
        for b in &base {
            let layers: Vec<Arc<Layer>> = image.iter().map(|l| l.layer.clone()).collect();
            let mut container = Container::new(Arc::new(Image::new(layers)?), Options::default());
            container.set_limits(limits_within_budget(store.bytes()));
            let mut shell = Shell::new(container);
            let out = shell.run_script(&b.script);
            if out.status != 0 {
                let err = String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                return Err(Error::without_path(
                    ErrorKind::InvalidInput,
                    "scenario",
                    format!(
                        "the script of layer {} ({}) failed: {err}",
                        image.len(),
                        b.created_by
                    ),
                ));
            }
            let (diff_id, layer, _) = store.add(shell.container().upper().clone());
            image.push(ImageLayer {
                layer,
                diff_id,
                created_by: b.created_by.clone(),
            });
        }
        let mut host = Host {
            base,
            options,
            state: State {
                image,
                containers: Containers::default(),
                current: 1,
                next_id: 1,
                store,
            },
            actions: Vec::new(),
            undo: Vec::new(),
            redo: Vec::new(),
            clock: 0,
            usage_cache: Arc::default(),
        };
        host.start_container(options)?;
        Ok(host)
    }

    /// Rebuilds a host from a saved state, replaying its history. Fails with a clear error on
    /// an unknown version, too many actions, or an action that cannot be replayed.
    pub fn load(saved: &SavedState) -> Result<Host> {
        if saved.version != STATE_VERSION {
            return Err(Error::without_path(
                ErrorKind::Format,
                "load",
                format!(
                    "saved state version {} is not supported (this is version {STATE_VERSION})",
                    saved.version
                ),
            ));
        }
        if saved.actions.len() > MAX_ACTIONS {
            return Err(Error::without_path(
                ErrorKind::Format,
                "load",
                format!(
                    "the saved state has {} actions; at most {MAX_ACTIONS} can be replayed",
                    saved.actions.len()
                ),
            ));
        }
        // A base that does not build is as much a corrupt document as a bad action.
        let mut host = Host::new(saved.base.clone(), saved.options).map_err(|e| {
            Error::without_path(ErrorKind::Format, "load", format!("the base image: {e}"))
        })?;
        for (i, action) in saved.actions.iter().enumerate() {
            host.apply(action.clone()).map_err(|e| {
                Error::without_path(
                    ErrorKind::Format,
                    "load",
                    format!("action {} cannot be replayed: {e}", i + 1),
                )
            })?;
        }
        // The replay kept the states before the last actions (at most UNDO_DEPTH), so undo
        // works after a load as it did before the save, and time travel through the last
        // commands stays cheap. A saved state holds no redo stack: there is nothing to redo.
        Ok(host)
    }

    /// Parses and loads a saved state from JSON.
    pub fn load_json(json: &str) -> Result<Host> {
        let saved = SavedState::from_json(json).map_err(|e| {
            Error::without_path(
                ErrorKind::Format,
                "load",
                format!("the saved state is not valid: {e}"),
            )
        })?;
        Host::load(&saved)
    }

    /// The history that rebuilds this state.
    pub fn save(&self) -> SavedState {
        SavedState {
            version: STATE_VERSION,
            base: self.base.clone(),
            options: self.options,
            actions: self.actions.clone(),
        }
    }

    /// The saved state as JSON.
    pub fn save_json(&self) -> String {
        self.save().to_json()
    }

    /// Sets the time stamped on entries from now on (the engine has no clock).
    pub fn set_clock(&mut self, now: i64) {
        self.clock = now;
    }

    fn start_container(&mut self, options: Options) -> Result<u32> {
        if self.state.containers.len() >= MAX_CONTAINERS {
            return Err(Error::without_path(
                ErrorKind::NoSpace,
                "container",
                format!("a host runs at most {MAX_CONTAINERS} containers"),
            ));
        }
        let layers = self.state.image.clone();
        let image = Image::new(layers.iter().map(|l| l.layer.clone()).collect())?;
        let id = self.state.next_id;
        self.state.next_id += 1;
        let shell = Shell::new(Container::new(Arc::new(image), options));
        self.state.containers.insert(id, Running { shell, layers });
        self.state.current = id;
        Ok(id)
    }

    fn current(&self) -> Result<&Running> {
        self.state
            .containers
            .get(&self.state.current)
            .ok_or_else(no_container)
    }

    fn current_mut(&mut self) -> Result<&mut Running> {
        let id = self.state.current;
        self.state.containers.get_mut(&id).ok_or_else(no_container)
    }

    /// Performs `action`, records it, and clears the redo list. Returns what a run printed (an
    /// empty output for other actions) and the events the action caused.
    pub fn apply(&mut self, action: Action) -> Result<Output> {
        let before = self.state.clone();
        let out = self.perform(&action)?;
        self.undo.push((before, action.clone()));
        if self.undo.len() > UNDO_DEPTH {
            self.undo.remove(0);
        }
        self.actions.push(action);
        self.redo.clear();
        Ok(out)
    }

    fn perform(&mut self, action: &Action) -> Result<Output> {
        let clock = self.clock;
        match action {
            Action::Run { line } => {
                let current = self.state.current;
                let others: u64 = self
                    .state
                    .containers
                    .iter()
                    .filter(|(id, _)| **id != current)
                    .map(|(_, r)| r.shell.container().upper_bytes())
                    .sum();
                let held = self.state.store.bytes() + others;
                let running = self.current_mut()?;
                let container = running.shell.container_mut();
                container.set_limits(limits_within_budget(held));
                container.set_clock(clock);
                Ok(running.shell.run_script(line))
            }
            Action::Commit { message } => {
                let id = self.state.current;
                let mut running = self.state.containers.remove(&id).ok_or_else(no_container)?;
                let mut diff_ids: Vec<Digest> = Vec::with_capacity(running.layers.len());
                for l in &running.layers {
                    diff_ids.push(l.diff_id);
                }
                let start = running.shell.container().events().len();
                let result = running
                    .shell
                    .container_mut()
                    .commit(&mut self.state.store, &diff_ids);
                let commit = match result {
                    Ok(c) => c,
                    Err(e) => {
                        self.state.containers.insert(id, running);
                        return Err(e);
                    }
                };
                let layer = commit
                    .image
                    .layers()
                    .last()
                    .cloned()
                    .ok_or_else(no_container)?;
                running.layers.push(ImageLayer {
                    layer,
                    diff_id: commit.diff_id,
                    created_by: message.clone(),
                });
                // The host's image is now what this container runs on.
                self.state.image = running.layers.clone();
                let events = running
                    .shell
                    .container()
                    .events()
                    .get(start..)
                    .map(<[Event]>::to_vec)
                    .unwrap_or_default();
                self.state.containers.insert(id, running);
                Ok(Output {
                    events,
                    ..Output::default()
                })
            }
            Action::NewContainer => {
                let options = self
                    .current()
                    .map(|r| r.shell.container().options())
                    .unwrap_or(self.options);
                self.start_container(options)?;
                Ok(Output::default())
            }
            Action::RemoveContainer { id } => {
                if self.state.containers.remove(id).is_none() {
                    return Err(Error::without_path(
                        ErrorKind::NotFound,
                        "container",
                        format!("no container {id}"),
                    ));
                }
                if self.state.current == *id {
                    match self.state.containers.first_key() {
                        Some(next) => self.state.current = next,
                        None => {
                            // A host always has a container to type into.
                            self.start_container(self.options)?;
                        }
                    }
                }
                Ok(Output::default())
            }
            Action::Switch { id } => {
                if !self.state.containers.contains_key(id) {
                    return Err(Error::without_path(
                        ErrorKind::NotFound,
                        "container",
                        format!("no container {id}"),
                    ));
                }
                self.state.current = *id;
                Ok(Output::default())
            }
            Action::SetOptions { options } => {
                self.current_mut()?
                    .shell
                    .container_mut()
                    .set_options(*options);
                Ok(Output::default())
            }
        }
    }

    /// Runs a command line in the current container.
    pub fn run(&mut self, line: &str) -> Result<Output> {
        self.apply(Action::Run {
            line: line.to_string(),
        })
    }

    /// Undoes the last action; false when there is nothing to undo.
    pub fn undo(&mut self) -> bool {
        match self.undo.pop() {
            Some((state, action)) => {
                self.state = state;
                self.actions.pop();
                self.redo.push(action);
                true
            }
            None => false,
        }
    }

    /// Redoes the last undone action; false when there is nothing to redo.
    pub fn redo(&mut self) -> Result<bool> {
        self.redo_output().map(|o| o.is_some())
    }

    /// Redoes the last undone action and returns what it printed and the events it caused,
    /// as [`Host::apply`] does; `None` when there is nothing to redo.
    pub fn redo_output(&mut self) -> Result<Option<Output>> {
        let Some(action) = self.redo.pop() else {
            return Ok(None);
        };
        let rest = std::mem::take(&mut self.redo);
        let result = self.apply(action);
        self.redo = rest;
        result.map(Some)
    }

    /// True when undo would do something.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// True when redo would do something.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// The current container.
    pub fn container(&self) -> Result<&Container> {
        Ok(self.current()?.shell.container())
    }

    /// The current container's shell (its working directory, for a prompt).
    pub fn shell(&self) -> Result<&Shell> {
        Ok(&self.current()?.shell)
    }

    /// The id of the current container.
    pub fn current_id(&self) -> u32 {
        self.state.current
    }

    /// Every container, by id.
    pub fn containers(&self) -> Vec<ContainerInfo> {
        let mut out = Vec::new();
        for (id, r) in self.state.containers.iter() {
            out.push(ContainerInfo {
                id: *id,
                current: *id == self.state.current,
                image_layers: r.layers.len(),
                options: r.shell.container().options(),
                bytes: r.shell.container().upper_bytes(),
            });
        }
        out
    }

    /// The current container's layers: its image layers bottom first, then its writable layer.
    pub fn layers(&self) -> Result<Vec<LayerInfo>> {
        self.layers_of(self.container()?)
    }

    /// The image part of the sizes of `image`, from the cache or computed and kept.
    fn image_usage(&self, image: &Arc<Image>) -> Arc<ImageUsage> {
        // A poisoned lock (a panic while it was held) only means a lost cache entry.
        let mut cache = self
            .usage_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(i) = cache.iter().position(|(img, _)| Arc::ptr_eq(img, image)) {
            let hit = cache.remove(i);
            let usage = hit.1.clone();
            cache.push(hit);
            return usage;
        }
        let usage = Arc::new(ImageUsage::of(image));
        if cache.len() >= USAGE_CACHE {
            cache.remove(0);
        }
        cache.push((image.clone(), usage.clone()));
        usage
    }

    /// The layers of `container`, which is the current container or a view of it from
    /// [`Host::view_at`] (whose image may have fewer layers, from before a commit).
    pub fn layers_of(&self, container: &Container) -> Result<Vec<LayerInfo>> {
        let r = self.current()?;
        let usage: Usage = container.usage_with(&self.image_usage(container.image()));
        let n = container.image().layers().len();
        let image = r.layers.get(..n).unwrap_or(&r.layers);
        let mut out = Vec::new();
        for (u, l) in usage
            .layers
            .iter()
            .zip(image.iter().map(Some).chain(std::iter::once(None)))
        {
            out.push(LayerInfo {
                index: u.layer,
                diff_id: l.map(|l| l.diff_id),
                created_by: l.map_or_else(
                    || "the container's writable layer".to_string(),
                    |l| l.created_by.clone(),
                ),
                bytes: u.bytes,
                entries: u.entries,
                hidden_bytes: u.hidden_bytes,
            });
        }
        Ok(out)
    }

    /// The current container as it was right after the first `n` events of its stream (see
    /// [`Container::events`]); `n` equal to the number of events is the container as it is.
    /// This is the timeline's time travel: every event, each copy-up and whiteout included, is
    /// a step, and the state at step `n` is exactly the state after replaying the first `n`
    /// events.
    ///
    /// Cheap for the common case: the present is borrowed, and a step inside any action that
    /// undo still remembers replays just that one action, from the state undo kept before it,
    /// with a capture point at event `n` ([`Container::capture_at`]); after a load, the states
    /// kept while replaying it serve the same way. Steps older than that (past
    /// [`UNDO_DEPTH`]) replay the history from the start.
    pub fn view_at(&self, n: usize) -> Result<Cow<'_, Container>> {
        let id = self.state.current;
        let live = self.container()?;
        let total = live.events().len();
        if n > total {
            return Err(Error::without_path(
                ErrorKind::InvalidInput,
                "view",
                format!("step {n} is past the last event ({total})"),
            ));
        }
        if n == total {
            return Ok(Cow::Borrowed(live));
        }
        // Newest first: the state after undo entry i is the state before entry i + 1 (or the
        // present), so the first state with at most `n` events is where event `n` was made.
        for (before, action) in self.undo.iter().rev() {
            let Some(r) = before.containers.get(&id) else {
                break;
            };
            let k = r.shell.container().events().len();
            if k == n {
                return Ok(Cow::Owned(r.shell.container().clone()));
            }
            if k < n {
                let mut host = self.scratch(before.clone());
                if let Some(view) = host.replay_capturing(action, id, n)? {
                    return Ok(Cow::Owned(view));
                }
                break;
            }
        }
        let mut host = Host::new(self.base.clone(), self.options)?;
        host.clock = self.clock;
        for action in &self.actions {
            if let Some(r) = host.state.containers.get(&id) {
                if r.shell.container().events().len() == n {
                    return Ok(Cow::Owned(r.shell.container().clone()));
                }
            }
            if let Some(view) = host.replay_capturing(action, id, n)? {
                return Ok(Cow::Owned(view));
            }
        }
        Err(Error::without_path(
            ErrorKind::NotFound,
            "view",
            format!("step {n} cannot be replayed"),
        ))
    }

    /// A host with `state` and no history, to replay one action on.
    fn scratch(&self, state: State) -> Host {
        Host {
            base: Vec::new(),
            options: self.options,
            state,
            actions: Vec::new(),
            undo: Vec::new(),
            redo: Vec::new(),
            clock: self.clock,
            usage_cache: self.usage_cache.clone(),
        }
    }

    /// Performs `action` with a capture point at event `n` of container `id`; returns the
    /// snapshot if the action reached it.
    fn replay_capturing(
        &mut self,
        action: &Action,
        id: u32,
        n: usize,
    ) -> Result<Option<Container>> {
        if let Some(r) = self.state.containers.get_mut(&id) {
            r.shell.container_mut().capture_at(n);
        }
        // A run never fails as a whole (its commands report their own errors), and the other
        // actions succeeded when they were first performed, so an error here is an engine bug;
        // it is passed on rather than hidden.
        self.perform(action)?;
        Ok(self
            .state
            .containers
            .get_mut(&id)
            .and_then(|r| r.shell.container_mut().take_capture()))
    }

    /// Which layer wins at `path` in the current container, and what it masks.
    pub fn explain(&self, path: &str) -> Result<Explanation> {
        Ok(self.container()?.explain(&VPath::parse(path)?))
    }

    /// The actions so far.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// [`Host::actions`] as JSON, exactly as [`Host::save_json`] writes them (the wasm face
    /// hands them out through `JSON.parse`, which needs no serialiser of its own for them).
    pub fn actions_json(&self) -> String {
        let mut out = String::new();
        actions_to_json(&mut out, &self.actions);
        out
    }

    /// The canonical OCI tar of the current container's writable layer.
    pub fn export_container_layer(&self) -> Result<Vec<u8>> {
        Ok(oci::export_layer(self.container()?.upper()))
    }
}

fn no_container() -> Error {
    Error::without_path(
        ErrorKind::NotFound,
        "container",
        "there is no current container",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<BaseLayer> {
        vec![
            BaseLayer {
                created_by: "base".into(),
                script: "mkdir -p /etc /app\necho 127.0.0.1 > /etc/hosts".into(),
            },
            BaseLayer {
                created_by: "app".into(),
                script: "echo v1 > /app/main".into(),
            },
        ]
    }

    fn cat(host: &mut Host, path: &str) -> String {
        let out = host.run(&format!("cat {path}")).unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn a_container_may_fill_only_what_is_left_of_the_hosts_gibibyte() {
        // The base image's scripts and the containers' commands both run under these limits
        // (a test that builds a gibibyte of base layers would spend its time hashing them).
        assert_eq!(limits_within_budget(0).max_bytes, 512 << 20);
        assert_eq!(limits_within_budget(1000 << 20).max_bytes, 24 << 20);
        assert_eq!(limits_within_budget(2 << 30).max_bytes, 0);
        assert_eq!(
            limits_within_budget(1000 << 20).max_entries,
            Limits::default().max_entries
        );
    }

    #[test]
    fn the_host_holds_at_most_a_gibibyte_across_its_containers() {
        let mut host = Host::new(base(), Options::default()).unwrap();
        let status = |host: &mut Host, line: &str| {
            let out = host.run(line).unwrap();
            (
                out.status,
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        assert_eq!(status(&mut host, "truncate -s 500M /a").0, 0);
        host.apply(Action::NewContainer).unwrap();
        assert_eq!(status(&mut host, "truncate -s 500M /b").0, 0);
        host.apply(Action::NewContainer).unwrap();
        // 1000 MiB are held; 100 more would pass the host's 1 GiB.
        let (code, err) = status(&mut host, "truncate -s 100M /c");
        assert_eq!(code, 1);
        assert_eq!(
            err,
            "truncate: cannot open '/c' for writing: File too large\n"
        );
        assert_eq!(status(&mut host, "truncate -s 20M /c").0, 0);
        // Removing a container gives its bytes back.
        host.apply(Action::RemoveContainer { id: 1 }).unwrap();
        assert_eq!(status(&mut host, "truncate -s 100M /d").0, 0);
    }

    #[test]
    fn a_scenario_builds_one_layer_per_script() {
        let host = Host::new(base(), Options::default()).unwrap();
        let layers = host.layers().unwrap();
        assert_eq!(layers.len(), 3);
        assert_eq!(layers[1].created_by, "app");
        assert!(layers[2].diff_id.is_none());
    }

    #[test]
    fn a_failing_scenario_script_is_a_clear_error() {
        let bad = vec![BaseLayer {
            created_by: "x".into(),
            script: "rm /nope".into(),
        }];
        let err = Host::new(bad, Options::default()).unwrap_err();
        assert!(err.to_string().contains("failed"), "{err}");
    }

    fn read(host: &Host, path: &str) -> String {
        let c = host.container().unwrap();
        String::from_utf8_lossy(c.read(&VPath::parse(path).unwrap()).unwrap().bytes()).into_owned()
    }

    #[test]
    fn undo_and_redo_restore_states_exactly() {
        let mut host = Host::new(base(), Options::default()).unwrap();
        host.run("echo changed > /etc/hosts").unwrap();
        host.run("rm /app/main").unwrap();
        assert!(host.undo());
        assert_eq!(read(&host, "/app/main"), "v1\n");
        assert!(host.undo());
        assert_eq!(read(&host, "/etc/hosts"), "127.0.0.1\n");
        assert!(!host.undo(), "nothing before the first action");
        assert!(host.redo().unwrap());
        assert_eq!(read(&host, "/etc/hosts"), "changed\n");
        assert!(host.can_redo());
        host.run("true").unwrap();
        assert!(!host.can_redo(), "a new action clears redo");
        assert_eq!(host.actions().len(), 2);
    }

    #[test]
    fn save_and_load_replay_to_the_same_state() {
        let mut host = Host::new(base(), Options::default()).unwrap();
        host.run("echo a > /f; rm /etc/hosts").unwrap();
        host.apply(Action::Commit {
            message: "step".into(),
        })
        .unwrap();
        host.apply(Action::NewContainer).unwrap();
        host.run("mkdir /x").unwrap();
        let json = host.save_json();
        let again = Host::load_json(&json).unwrap();
        assert_eq!(again.save_json(), json);
        assert_eq!(again.containers(), host.containers());
        assert_eq!(again.layers().unwrap(), host.layers().unwrap());
    }

    #[test]
    fn corrupt_or_hostile_saved_states_are_clear_errors() {
        for bad in [
            "",
            "{",
            "null",
            r#"{"version":99,"base":[],"actions":[]}"#,
            r#"{"version":1,"base":[],"actions":[{"action":"switch","id":42}]}"#,
            r#"{"version":1,"base":[],"actions":[{"action":"explode"}]}"#,
        ] {
            let err = Host::load_json(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Format, "{bad:?}: {err}");
        }
    }

    /// A random string over ASCII, control characters, quotes and backslashes, and a few
    /// multi-byte characters.
    #[cfg(not(target_arch = "wasm32"))] // fastrand is a native dev-dependency
    fn random_text(rng: &mut fastrand::Rng) -> String {
        const SPECIAL: [char; 9] = [
            '"', '\\', '\n', '\u{1}', '\u{1f}', '\u{7f}', 'é', '\u{2028}', '😀',
        ];
        (0..rng.usize(0..12))
            .map(|_| {
                if rng.bool() {
                    char::from(rng.u8(0x20..0x7f))
                } else {
                    SPECIAL[rng.usize(..SPECIAL.len())]
                }
            })
            .collect()
    }

    #[cfg(not(target_arch = "wasm32"))] // fastrand is a native dev-dependency
    fn random_options(rng: &mut fastrand::Rng) -> Options {
        Options {
            redirect_dir: rng.bool(),
            metacopy: rng.bool(),
            index: rng.bool(),
        }
    }

    /// The hand-written JSON of saved states (crate::json) against serde_json, which reads
    /// and writes the same types through their serde attributes: the same bytes out, and each
    /// reads the other's output back to the same state.
    #[test]
    #[cfg(not(target_arch = "wasm32"))] // fastrand is a native dev-dependency
    fn saved_state_json_is_what_serde_json_writes_and_reads() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2000 {
            let state = SavedState {
                version: rng.u32(..),
                base: (0..rng.usize(0..3))
                    .map(|_| BaseLayer {
                        created_by: random_text(&mut rng),
                        script: random_text(&mut rng),
                    })
                    .collect(),
                options: random_options(&mut rng),
                actions: (0..rng.usize(0..6))
                    .map(|_| match rng.u8(0..6) {
                        0 => Action::Run {
                            line: random_text(&mut rng),
                        },
                        1 => Action::Commit {
                            message: random_text(&mut rng),
                        },
                        2 => Action::NewContainer,
                        3 => Action::RemoveContainer { id: rng.u32(..) },
                        4 => Action::Switch { id: rng.u32(..) },
                        _ => Action::SetOptions {
                            options: random_options(&mut rng),
                        },
                    })
                    .collect(),
            };
            let ours = state.to_json();
            assert_eq!(ours, serde_json::to_string(&state).unwrap());
            assert_eq!(SavedState::from_json(&ours).as_ref(), Ok(&state));
            let theirs: SavedState = serde_json::from_str(&ours).unwrap();
            assert_eq!(theirs, state);
            let pretty = serde_json::to_string_pretty(&state).unwrap();
            assert_eq!(SavedState::from_json(&pretty).as_ref(), Ok(&state));
        }
    }

    #[test]
    fn saved_state_errors_name_the_field() {
        for (doc, message) in [
            (
                r#"{"version":1,"base":[],"actions":[{"action":"run","line":7}]}"#,
                "actions[0].line: expected a string, found a number",
            ),
            (
                r#"{"version":1,"base":[],"actions":[{"action":"switch","id":-1}]}"#,
                "actions[0].id: -1 is not an unsigned 32-bit integer",
            ),
            (
                r#"{"version":1,"base":[{"created_by":"x"}],"actions":[]}"#,
                "base[0]: missing field `script`",
            ),
            (
                r#"{"version":1,"base":[],"actions":[{"action":"set-options","options":{"metacopy":true}}]}"#,
                "actions[0].options: missing field `redirectDir`",
            ),
            (
                r#"{"version":1,"base":[],"actions":[{"action":"explode"}]}"#,
                "actions[0]: unknown action `explode`, expected one of `run`, `commit`, \
                 `new-container`, `remove-container`, `switch`, `set-options`",
            ),
            ("[1,", "EOF while parsing a value at line 1 column 4"),
        ] {
            assert_eq!(SavedState::from_json(doc).unwrap_err(), message, "{doc}");
        }
    }

    /// Documents both readers accept or both refuse (the messages differ).
    #[test]
    fn saved_state_json_accepts_and_refuses_what_serde_json_does() {
        for doc in [
            r#"{"version":1,"base":[],"actions":[]}"#,
            r#"{"actions":[],"version":1,"base":[],"extra":{"deep":[1,2.5,null]}}"#,
            r#"{"version":1,"base":[],"options":{"redirect_dir":true,"metacopy":false,"index":true},"actions":[]}"#,
            r#"{"version":1,"base":[],"actions":[{"action":"switch","id":3,"line":"ignored"}]}"#,
            r#"{"version":1,"base":[],"actions":[{"id":3,"action":"remove-container"}]}"#,
            r#"{"version":1,"base":[],"actions":[{"action":"set-options","options":{"redirectDir":false,"metacopy":true,"index":false}}]}"#,
            "",
            "null",
            "[]",
            r#"{"version":1,"base":[],"actions":[],"version":1}"#,
            r#"{"version":"1","base":[],"actions":[]}"#,
            r#"{"version":1.0,"base":[],"actions":[]}"#,
            r#"{"version":-1,"base":[],"actions":[]}"#,
            r#"{"version":4294967296,"base":[],"actions":[]}"#,
            r#"{"version":1e400,"base":[],"actions":[]}"#,
            r#"{"version":1,"actions":[]}"#,
            r#"{"version":1,"base":[{"script":"x"}],"actions":[]}"#,
            r#"{"version":1,"base":[],"options":{"metacopy":true,"index":true},"actions":[]}"#,
            r#"{"version":1,"base":[],"options":null,"actions":[]}"#,
            r#"{"version":1,"base":[],"actions":[{"action":"explode"}]}"#,
            r#"{"version":1,"base":[],"actions":[{"line":"ls"}]}"#,
            r#"{"version":1,"base":[],"actions":[{"action":"run"}]}"#,
            r#"{"version":1,"base":[],"actions":[{"action":"run","line":7}]}"#,
            r#"{"version":1,"base":[],"actions":[{"action":"switch","id":null}]}"#,
            r#"{"version":1,"base":[],"actions":[]} x"#,
            r#"{"version":1,"base":[],"actions":[],}"#,
        ] {
            let ours = SavedState::from_json(doc);
            let theirs = serde_json::from_str::<SavedState>(doc);
            assert_eq!(ours.is_ok(), theirs.is_ok(), "{doc}: {ours:?} / {theirs:?}");
            if let (Ok(a), Ok(b)) = (ours, theirs) {
                assert_eq!(a, b, "{doc}");
            }
        }
    }

    #[test]
    fn undo_after_a_load_returns_to_the_states_before_the_save() {
        let mut host = Host::new(base(), Options::default()).unwrap();
        host.run("echo one > /a").unwrap();
        host.apply(Action::Commit {
            message: "add /a".into(),
        })
        .unwrap();
        host.run("echo two >> /a").unwrap();
        let mut loaded = Host::load_json(&host.save_json()).unwrap();
        assert_eq!(read(&loaded, "/a"), "one\ntwo\n");
        assert!(loaded.undo());
        assert_eq!(read(&loaded, "/a"), "one\n");
        assert_eq!(loaded.layers().unwrap().len(), 4);
        assert!(loaded.undo());
        assert_eq!(loaded.layers().unwrap().len(), 3, "the commit is undone");
        assert!(loaded.undo());
        assert!(!loaded.undo(), "back at the base image");
        assert!(loaded
            .container()
            .unwrap()
            .read(&VPath::parse("/a").unwrap())
            .is_err());
        // Redo replays and says what the action printed and did.
        let out = loaded.redo_output().unwrap().expect("something to redo");
        assert_eq!(out.status, 0);
        assert_eq!(
            out.events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [
                crate::event::EventKind::Create,
                crate::event::EventKind::Write
            ]
        );
        assert!(loaded.redo().unwrap());
        assert!(loaded.redo().unwrap());
        assert_eq!(loaded.save_json(), host.save_json());
        assert!(loaded.redo_output().unwrap().is_none());
    }

    #[test]
    fn commit_grows_the_image_and_new_containers_start_from_it() {
        let mut host = Host::new(base(), Options::default()).unwrap();
        host.run("echo new > /new").unwrap();
        host.apply(Action::Commit {
            message: "add /new".into(),
        })
        .unwrap();
        host.apply(Action::NewContainer).unwrap();
        assert_eq!(cat(&mut host, "/new"), "new\n");
        let infos = host.containers();
        assert_eq!(infos.len(), 2);
        assert!(infos.iter().all(|c| c.image_layers == 3));
        let first = infos[0].id;
        host.apply(Action::RemoveContainer { id: first }).unwrap();
        assert_eq!(host.containers().len(), 1);
    }

    fn upper_tree(c: &Container) -> Vec<String> {
        c.tree(crate::browse::Which::Container)
            .unwrap()
            .iter()
            .map(|e| format!("{} {:?}", e.path, e.entry_type))
            .collect()
    }

    fn timeline_host() -> Host {
        let mut host = Host::new(base(), Options::default()).unwrap();
        host.run("echo more >> /etc/hosts; rm /app/main").unwrap();
        host.run("rm -rf /app; mkdir /app; echo new > /app/x")
            .unwrap();
        host
    }

    #[test]
    fn every_event_is_a_step_and_each_step_shows_the_state_after_it() {
        let host = timeline_host();
        let events = host.container().unwrap().events().to_vec();
        let kinds: Vec<_> = events
            .iter()
            .map(|e| format!("{:?} {}", e.kind, e.path))
            .collect();
        assert_eq!(
            kinds,
            [
                "CopyUp /etc",
                "CopyUp /etc/hosts",
                "Write /etc/hosts",
                "CopyUp /app",
                "Whiteout /app/main",
                "Whiteout /app",
                "Mkdir /app",
                "Opaque /app",
                "Create /app/x",
                "Write /app/x",
            ]
        );
        let at = |n: usize| upper_tree(&host.view_at(n).unwrap());
        assert!(at(0).is_empty());
        assert_eq!(at(1), ["/etc Dir"]);
        assert_eq!(at(2), ["/etc Dir", "/etc/hosts File"]);
        assert_eq!(
            at(5),
            [
                "/app Dir",
                "/app/main Whiteout",
                "/etc Dir",
                "/etc/hosts File"
            ]
        );
        assert_eq!(at(6), ["/app Whiteout", "/etc Dir", "/etc/hosts File"]);
        // The kernel creates a directory over a whiteout already opaque; the opaque event that
        // follows names the flag the mkdir step already shows.
        assert_eq!(at(7), ["/app Opaque", "/etc Dir", "/etc/hosts File"]);
        assert_eq!(at(8), ["/app Opaque", "/etc Dir", "/etc/hosts File"]);
        for n in 0..=events.len() {
            let view = host.view_at(n).unwrap();
            assert_eq!(
                view.events(),
                &events[..n],
                "a view's stream is the first {n} events"
            );
        }
        // The content at a step is the content then: the append is not there before its write.
        let hosts = VPath::parse("/etc/hosts").unwrap();
        assert_eq!(
            host.view_at(2).unwrap().read(&hosts).unwrap().bytes(),
            b"127.0.0.1\n"
        );
        assert_eq!(
            host.view_at(3).unwrap().read(&hosts).unwrap().bytes(),
            b"127.0.0.1\nmore\n"
        );
        assert_eq!(
            host.view_at(11).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn time_travel_after_a_load_reaches_the_same_steps() {
        let host = timeline_host();
        let loaded = Host::load_json(&host.save_json()).unwrap();
        assert_eq!(loaded.can_undo(), host.can_undo(), "a load keeps undo");
        assert!(!loaded.can_redo());
        for n in 0..=host.container().unwrap().events().len() {
            let a = host.view_at(n).unwrap();
            let b = loaded.view_at(n).unwrap();
            assert_eq!(upper_tree(&a), upper_tree(&b), "step {n}");
            assert_eq!(a.events(), b.events(), "step {n}");
        }
    }

    #[test]
    fn the_step_of_a_commit_shows_the_committed_image() {
        let mut host = Host::new(base(), Options::default()).unwrap();
        host.run("echo a > /a").unwrap();
        host.apply(Action::Commit {
            message: "add /a".into(),
        })
        .unwrap();
        host.run("rm /a").unwrap();
        let n = host.container().unwrap().events().len();
        let kinds: Vec<_> = host
            .container()
            .unwrap()
            .events()
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds[2], crate::event::EventKind::Commit);
        let before = host.view_at(2).unwrap();
        assert_eq!(before.image().layers().len(), 2);
        assert_eq!(upper_tree(&before), ["/a File"]);
        let after = host.view_at(3).unwrap();
        assert_eq!(after.image().layers().len(), 3);
        assert!(upper_tree(&after).is_empty());
        assert_eq!(host.layers_of(&after).unwrap().len(), 4);
        assert_eq!(host.layers_of(&before).unwrap().len(), 3);
        assert_eq!(upper_tree(&host.view_at(n).unwrap()), ["/a Whiteout"]);
    }

    #[test]
    fn each_container_has_its_own_timeline() {
        let mut host = Host::new(base(), Options::default()).unwrap();
        host.run("rm /etc/hosts").unwrap();
        host.apply(Action::NewContainer).unwrap();
        host.run("touch /n").unwrap();
        host.run("rm /app/main").unwrap();
        assert_eq!(upper_tree(&host.view_at(0).unwrap()), Vec::<String>::new());
        assert_eq!(upper_tree(&host.view_at(1).unwrap()), ["/n File"]);
        let first = host.containers()[0].id;
        host.apply(Action::Switch { id: first }).unwrap();
        assert_eq!(upper_tree(&host.view_at(0).unwrap()), Vec::<String>::new());
        assert_eq!(
            upper_tree(&host.view_at(2).unwrap()),
            ["/etc Dir", "/etc/hosts Whiteout"]
        );
    }

    #[test]
    fn steps_older_than_undo_remembers_replay_from_the_start() {
        let mut host = Host::new(base(), Options::default()).unwrap();
        for i in 0..UNDO_DEPTH + 3 {
            host.run(&format!("touch /f{i}")).unwrap();
        }
        // Each touch is one create event; the first three are older than undo reaches.
        for n in [0, 1, 2, 3, UNDO_DEPTH + 2] {
            let view = host.view_at(n).unwrap();
            assert_eq!(view.events().len(), n);
            assert_eq!(upper_tree(&view).len(), n, "step {n}");
        }
    }
}
