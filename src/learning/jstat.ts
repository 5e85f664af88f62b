import { createRequire } from "node:module";

/** The parts of jstat this project calls (the package ships no typings; loaded through require, so none is needed). */
interface JStat {
  chisquare: { cdf(x: number, dof: number): number };
}

const jStat = createRequire(import.meta.url)("jstat") as JStat;

/** P(X ≤ x) for X ~ χ²(dof), jstat's. */
export function chiSquareCdf(x: number, dof: number): number {
  return jStat.chisquare.cdf(x, dof);
}
