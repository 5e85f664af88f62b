// The chi-square distribution of jstat (the package ships no typings; handbook/jstat.d.ts declares the Beta part).
import "jstat";
declare module "jstat" {
  interface ChiSquareDistribution {
    cdf(x: number, dof: number): number;
  }
  interface JStat {
    chisquare: ChiSquareDistribution;
  }
}
