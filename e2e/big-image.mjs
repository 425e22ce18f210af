// The 20 000-file image of the page's benchmark (`bench.mjs`) and its trace (`trace-command.mjs`).

export const FILES = 20000;
const DIRS = 200;

/** The base image's two layers, as the API's scenario takes them (`createdBy`, `script`). */
export function bigLayers() {
  const dirs = [];
  const lines = [];
  for (let d = 0; d < DIRS; d += 1) dirs.push(`/srv/d${String(d).padStart(3, '0')}`);
  lines.push(`mkdir -p ${dirs.join(' ')}`);
  for (let d = 0; d < DIRS; d += 1) {
    const files = [];
    for (let f = 0; f < FILES / DIRS; f += 1) files.push(`${dirs[d]}/f${String(f).padStart(3, '0')}.txt`);
    lines.push(`touch ${files.join(' ')}`);
    lines.push(`echo 'data of directory ${d}' > ${dirs[d]}/f000.txt`);
  }
  return [
    { createdBy: `ADD srv.tar / # ${FILES} files`, script: lines.join('\n') },
    { createdBy: 'RUN echo v1 > /srv/VERSION', script: 'echo v1 > /srv/VERSION\nrm /srv/d000/f001.txt' },
  ];
}

/** A saved state whose base image has FILES files in DIRS directories, plus a small layer. */
export function bigState() {
  return JSON.stringify({
    version: 1,
    base: bigLayers().map((l) => ({ created_by: l.createdBy, script: l.script })),
    options: { redirectDir: false, metacopy: false, index: false },
    actions: [],
  });
}
