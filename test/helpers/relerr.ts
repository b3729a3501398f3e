// The parity measure every kernel and backend test uses (src/util/relerr.ts, which `ngame doctor`
// uses too): ‖out − ref‖ / max(‖ref‖, floor).
export { relErr } from '../../src/util/relerr';
