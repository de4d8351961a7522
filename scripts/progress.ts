/** One line redrawn in place on a terminal; a line per quarter elsewhere (CI logs). */
export function progressBar(label: string) {
  let shownQuarter = -1;
  return (done: number, total: number) => {
    const share = total ? Math.min(1, done / total) : 1;
    const width = 30;
    const bar = `${label.padEnd(8)} [${'#'.repeat(Math.round(share * width)).padEnd(width, '.')}] ${done}/${total}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${bar}${done >= total ? '\n' : ''}`);
    else if (Math.floor(share * 4) > shownQuarter) {
      shownQuarter = Math.floor(share * 4);
      process.stderr.write(`${bar}\n`);
    }
  };
}
