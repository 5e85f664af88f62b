// Minimal typings for the parts of jstat this project uses (the package ships none).
declare module "jstat" {
  export interface BetaDistribution {
    /** Inverse CDF: the x with P(X <= x) = p for X ~ Beta(alpha, beta). */
    inv(p: number, alpha: number, beta: number): number;
    cdf(x: number, alpha: number, beta: number): number;
    mean(alpha: number, beta: number): number;
  }
  export interface JStat {
    beta: BetaDistribution;
  }
  const jStat: JStat;
  export default jStat;
}
