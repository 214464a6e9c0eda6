// torch.optim.LBFGS (torch/optim/lbfgs.py), PyTorch 1.13's algorithm, including its strong-Wolfe
// line search.
//
// PyTorch mixes Python floats and 0-dim tensors here (gtd, ys, t after the first iteration, ...),
// and every mixed operation runs as a tensor op in the tensor's dtype. The `Num` helpers below
// reproduce Python's operator semantics on `number | Tensor` so that float32 problems round
// exactly as PyTorch's do.
import { torch } from '../torch.js';
import { Tensor } from '../tensor.js';
import { TorchError, TorchTypeError, ValueError, argumentError } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { enable_grad, no_grad } from '../autograd/grad_mode.js';
import { Optimizer, _pow, _resolveOptions, type Closure, type OptimizerState, type ParamsInput } from './optimizer.js';

/** A Python float or a 0-dim tensor. */
type Num = number | Tensor;

// ---- Python operator semantics on number | Tensor ------------------------------------------

// Tensor methods are overloaded on Tensor | number; a union argument needs one branch per overload.
const tAdd = (a: Tensor, b: Num): Tensor => (b instanceof Tensor ? a.add(b) : a.add(b));
const tSub = (a: Tensor, b: Num): Tensor => (b instanceof Tensor ? a.sub(b) : a.sub(b));
const tMul = (a: Tensor, b: Num): Tensor => (b instanceof Tensor ? a.mul(b) : a.mul(b));
const tDiv = (a: Tensor, b: Num): Tensor => (b instanceof Tensor ? a.div(b) : a.div(b));
const tLt = (a: Tensor, b: Num): Tensor => (b instanceof Tensor ? a.lt(b) : a.lt(b));
const tGt = (a: Tensor, b: Num): Tensor => (b instanceof Tensor ? a.gt(b) : a.gt(b));
const tLe = (a: Tensor, b: Num): Tensor => (b instanceof Tensor ? a.le(b) : a.le(b));
const tGe = (a: Tensor, b: Num): Tensor => (b instanceof Tensor ? a.ge(b) : a.ge(b));

function add(a: Num, b: Num): Num {
  if (a instanceof Tensor) return tAdd(a, b);
  if (b instanceof Tensor) return b.add(a); // float + tensor is tensor.__radd__
  return a + b;
}
function sub(a: Num, b: Num): Num {
  if (a instanceof Tensor) return tSub(a, b);
  if (b instanceof Tensor) return torch.rsub(b, a); // float - tensor is tensor.__rsub__
  return a - b;
}
function mul(a: Num, b: Num): Num {
  if (a instanceof Tensor) return tMul(a, b);
  if (b instanceof Tensor) return b.mul(a);
  return a * b;
}
function div(a: Num, b: Num): Num {
  if (a instanceof Tensor) return tDiv(a, b);
  if (b instanceof Tensor) return b.reciprocal().mul(a); // float / tensor is tensor.__rtruediv__
  if (b === 0) throw new TorchError('float division by zero');
  return a / b;
}
function abs(a: Num): Num {
  return a instanceof Tensor ? a.abs() : Math.abs(a);
}
function truth(v: unknown): boolean {
  return v instanceof Tensor ? Boolean(v.item()) : Boolean(v);
}
/** a < b; a float on the left defers to the tensor's reflected comparison, as in Python. */
function lt(a: Num, b: Num): boolean {
  if (a instanceof Tensor) return truth(tLt(a, b));
  if (b instanceof Tensor) return truth(b.gt(a));
  return a < b;
}
function gt(a: Num, b: Num): boolean {
  if (a instanceof Tensor) return truth(tGt(a, b));
  if (b instanceof Tensor) return truth(b.lt(a));
  return a > b;
}
function le(a: Num, b: Num): boolean {
  if (a instanceof Tensor) return truth(tLe(a, b));
  if (b instanceof Tensor) return truth(b.ge(a));
  return a <= b;
}
function ge(a: Num, b: Num): boolean {
  if (a instanceof Tensor) return truth(tGe(a, b));
  if (b instanceof Tensor) return truth(b.le(a));
  return a >= b;
}
/** Python's builtin min(a, b): b only if b < a. */
function pyMin(a: Num, b: Num): Num {
  return lt(b, a) ? b : a;
}
/** Python's builtin max(a, b): b only if b > a. */
function pyMax(a: Num, b: Num): Num {
  return gt(b, a) ? b : a;
}
/** Python's float(x). */
function toFloat(v: Num): number {
  return v instanceof Tensor ? v.item() : v;
}
/** A Num passed where ATen takes a Scalar (alpha=...): Python converts a 0-dim tensor with item(). */
function scalar(v: Num): number {
  return v instanceof Tensor ? v.item() : v;
}

function _cubic_interpolate(x1: Num, f1: Num, g1: Num, x2: Num, f2: Num, g2: Num, bounds?: [Num, Num]): Num {
  // Minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to the bounds.
  const [xmin_bound, xmax_bound] = bounds ?? (le(x1, x2) ? [x1, x2] : [x2, x1]);
  const d1 = sub(add(g1, g2), div(mul(3, sub(f1, f2)), sub(x1, x2)));
  const d2_square = sub(d1 instanceof Tensor ? d1.pow(2) : _pow(d1, 2), mul(g1, g2));
  if (ge(d2_square, 0)) {
    const d2 = d2_square instanceof Tensor ? d2_square.sqrt() : Math.sqrt(d2_square);
    let min_pos: Num;
    if (le(x1, x2)) min_pos = sub(x2, mul(sub(x2, x1), div(sub(add(g2, d2), d1), add(sub(g2, g1), mul(2, d2)))));
    else min_pos = sub(x1, mul(sub(x1, x2), div(sub(add(g1, d2), d1), add(sub(g1, g2), mul(2, d2)))));
    return pyMin(pyMax(min_pos, xmin_bound), xmax_bound);
  }
  return div(add(xmin_bound, xmax_bound), 2);
}

type ObjFunc = (x: Tensor[], t: Num, d: Tensor) => [number, Tensor];

function _strong_wolfe(
  obj_func: ObjFunc, x: Tensor[], t: Num, d: Tensor, f: number, g: Tensor, gtd: Tensor,
  c1 = 1e-4, c2 = 0.9, tolerance_change = 1e-9, max_ls = 25,
): [number, Tensor, Num, number] {
  const d_norm = d.abs().max();
  g = g.clone({ memory_format: torch.contiguous_format });
  // Evaluate the objective and gradient at the initial step.
  let [f_new, g_new] = obj_func(x, t, d);
  let ls_func_evals = 1;
  let gtd_new = g_new.dot(d);

  // Bracketing phase.
  let t_prev: Num = 0;
  let f_prev = f;
  let g_prev = g;
  let gtd_prev: Num = gtd;
  let done = false;
  let ls_iter = 0;
  let bracket: Num[] = [];
  let bracket_f: number[] = [];
  let bracket_g: Tensor[] = [];
  let bracket_gtd: Num[] = [];
  while (ls_iter < max_ls) {
    // Check conditions.
    if (gt(f_new, add(f, mul(mul(c1, t), gtd))) || (ls_iter > 1 && f_new >= f_prev)) {
      bracket = [t_prev, t];
      bracket_f = [f_prev, f_new];
      bracket_g = [g_prev, g_new.clone({ memory_format: torch.contiguous_format })];
      bracket_gtd = [gtd_prev, gtd_new];
      break;
    }
    if (le(abs(gtd_new), mul(-c2, gtd))) {
      bracket = [t];
      bracket_f = [f_new];
      bracket_g = [g_new];
      done = true;
      break;
    }
    if (ge(gtd_new, 0)) {
      bracket = [t_prev, t];
      bracket_f = [f_prev, f_new];
      bracket_g = [g_prev, g_new.clone({ memory_format: torch.contiguous_format })];
      bracket_gtd = [gtd_prev, gtd_new];
      break;
    }
    // Interpolate.
    const min_step = add(t, mul(0.01, sub(t, t_prev)));
    const max_step = mul(t, 10);
    const tmp = t;
    t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, [min_step, max_step]);
    // Next step.
    t_prev = tmp;
    f_prev = f_new;
    g_prev = g_new.clone({ memory_format: torch.contiguous_format });
    gtd_prev = gtd_new;
    [f_new, g_new] = obj_func(x, t, d);
    ls_func_evals += 1;
    gtd_new = g_new.dot(d);
    ls_iter += 1;
  }
  // Reached the maximum number of iterations?
  if (ls_iter === max_ls) {
    bracket = [0, t];
    bracket_f = [f, f_new];
    bracket_g = [g, g_new];
  }

  // Zoom phase: we now have a point satisfying the criteria, or a bracket around it; refine the
  // bracket until a point satisfies the criteria.
  let insuf_progress = false;
  // Find the high and low points in the bracket.
  let [low_pos, high_pos] = bracket_f[0] <= bracket_f[bracket_f.length - 1] ? [0, 1] : [1, 0];
  const bracketMax = () => pyMax(bracket[0], bracket[1]);
  const bracketMin = () => pyMin(bracket[0], bracket[1]);
  while (!done && ls_iter < max_ls) {
    // Line-search bracket is so small.
    if (lt(mul(abs(sub(bracket[1], bracket[0])), d_norm), tolerance_change)) break;
    // Compute a new trial value.
    t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]);

    // Test that we are making sufficient progress: if t is too close to a bracket boundary, or we
    // made insufficient progress last time and t is at a boundary, move t away from it.
    const eps = mul(0.1, sub(bracketMax(), bracketMin()));
    if (lt(pyMin(sub(bracketMax(), t), sub(t, bracketMin())), eps)) {
      // Interpolation close to boundary.
      if (insuf_progress || ge(t, bracketMax()) || le(t, bracketMin())) {
        // Evaluate at 0.1 away from boundary.
        if (lt(abs(sub(t, bracketMax())), abs(sub(t, bracketMin())))) t = sub(bracketMax(), eps);
        else t = add(bracketMin(), eps);
        insuf_progress = false;
      } else {
        insuf_progress = true;
      }
    } else {
      insuf_progress = false;
    }

    // Evaluate the new point.
    [f_new, g_new] = obj_func(x, t, d);
    ls_func_evals += 1;
    gtd_new = g_new.dot(d);
    ls_iter += 1;

    if (gt(f_new, add(f, mul(mul(c1, t), gtd))) || f_new >= bracket_f[low_pos]) {
      // Armijo condition not satisfied or not lower than the lowest point.
      bracket[high_pos] = t;
      bracket_f[high_pos] = f_new;
      bracket_g[high_pos] = g_new.clone({ memory_format: torch.contiguous_format });
      bracket_gtd[high_pos] = gtd_new;
      [low_pos, high_pos] = bracket_f[0] <= bracket_f[1] ? [0, 1] : [1, 0];
    } else {
      if (le(abs(gtd_new), mul(-c2, gtd))) {
        // Wolfe conditions satisfied.
        done = true;
      } else if (ge(mul(gtd_new, sub(bracket[high_pos], bracket[low_pos])), 0)) {
        // The old high becomes the new low.
        bracket[high_pos] = bracket[low_pos];
        bracket_f[high_pos] = bracket_f[low_pos];
        bracket_g[high_pos] = bracket_g[low_pos];
        bracket_gtd[high_pos] = bracket_gtd[low_pos];
      }
      // The new point becomes the new low.
      bracket[low_pos] = t;
      bracket_f[low_pos] = f_new;
      bracket_g[low_pos] = g_new.clone({ memory_format: torch.contiguous_format });
      bracket_gtd[low_pos] = gtd_new;
    }
  }

  // Return the new value, gradient and step.
  return [bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals];
}

/** Options of {@link LBFGS}, with PyTorch's names and defaults. */
export interface LBFGSOptions {
  /** learning rate (default: 1) */
  lr?: number;
  /** maximal number of iterations per optimization step (default: 20) */
  max_iter?: number;
  /** maximal number of function evaluations per optimization step (default: floor(max_iter * 5 / 4)) */
  max_eval?: number | null;
  /** termination tolerance on first order optimality (default: 1e-7) */
  tolerance_grad?: number;
  /** termination tolerance on function value/parameter changes (default: 1e-9) */
  tolerance_change?: number;
  /** update history size (default: 100) */
  history_size?: number;
  /** 'strong_wolfe' or null (default: null) */
  line_search_fn?: 'strong_wolfe' | null;
}

const OPTIONS = ['lr', 'max_iter', 'max_eval', 'tolerance_grad', 'tolerance_change', 'history_size', 'line_search_fn'] as const;

interface LBFGSState extends OptimizerState {
  func_evals: number;
  n_iter: number;
  d?: Tensor | null;
  t?: Num | null;
  old_dirs?: Tensor[];
  old_stps?: Tensor[];
  ro?: Tensor[];
  H_diag?: Num | null;
  prev_flat_grad?: Tensor | null;
  prev_loss?: number | null;
  al?: Array<Tensor | null>;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
}

/**
 * L-BFGS (Python: `torch.optim.LBFGS`), heavily inspired by minFunc. Supports one parameter
 * group only, and needs a closure that re-evaluates the model and returns the loss.
 *
 * Everything step() creates, including what the closure creates, is freed when step() returns,
 * except the returned loss and the optimizer's history. Tensors dropped from the history are
 * disposed unless state_dict() handed them out.
 *
 * Args:
 *   params: Tensors to optimize (a single group).
 *   lr: learning rate (positional, or in the options).
 *   options: {@link LBFGSOptions}.
 *
 * Example:
 *   const optimizer = new torch.optim.LBFGS([x], { line_search_fn: 'strong_wolfe' });
 *   optimizer.step(() => { optimizer.zero_grad(); const loss = f(x); loss.backward(); return loss; });
 */
export class LBFGS extends Optimizer {
  private _params: Tensor[];
  private _numel_cache: number | null = null;

  constructor(params: ParamsInput, lr?: number | LBFGSOptions, options?: LBFGSOptions) {
    const o = _resolveOptions<LBFGSOptions>('LBFGS.__init__', lr, options, OPTIONS);
    const {
      lr: learningRate = 1, max_iter = 20, tolerance_grad = 1e-7, tolerance_change = 1e-9, history_size = 100,
      line_search_fn = null,
    } = o;
    const max_eval = o.max_eval ?? Math.floor((max_iter * 5) / 4);
    for (const [name, value] of Object.entries({ lr: learningRate, max_iter, max_eval, tolerance_grad, tolerance_change, history_size })) {
      if (typeof value !== 'number') throw argumentError('LBFGS', name, 'a number', value);
    }
    if (line_search_fn !== null && typeof line_search_fn !== 'string') throw argumentError('LBFGS', 'line_search_fn', "'strong_wolfe' or null", line_search_fn);
    super(params, { lr: learningRate, max_iter, max_eval, tolerance_grad, tolerance_change, history_size, line_search_fn });
    if (this.param_groups.length !== 1) throw new ValueError("LBFGS doesn't support per-parameter options (parameter groups)");
    this._params = this.param_groups[0].params;
  }

  private _numel(): number {
    if (this._numel_cache === null) this._numel_cache = this._params.reduce((total, p) => total + p.numel(), 0);
    return this._numel_cache;
  }

  private _gather_flat_grad(): Tensor {
    const views = this._params.map((p) => {
      const grad = p.grad;
      return grad === null ? p.new_zeros([p.numel()]) : grad.view(-1);
    });
    return torch.cat(views, 0);
  }

  private _add_grad(step_size: Num, update: Tensor): void {
    let offset = 0;
    const alpha = scalar(step_size);
    for (const p of this._params) {
      const numel = p.numel();
      // View as p's shape: avoids deprecated pointwise semantics.
      p.add_(update.narrow(0, offset, numel).view_as(p), { alpha });
      offset += numel;
    }
    if (offset !== this._numel()) throw new TorchError('LBFGS: the parameters changed size since the optimizer was created');
  }

  private _clone_param(): Tensor[] {
    return this._params.map((p) => p.clone({ memory_format: torch.contiguous_format }));
  }

  private _set_param(params_data: Tensor[]): void {
    this._params.forEach((p, i) => p.copy_(params_data[i]));
  }

  private _directional_evaluate(closure: () => Tensor | number, x: Tensor[], t: Num, d: Tensor): [number, Tensor] {
    this._add_grad(t, d);
    const loss = toFloat(closure());
    const flat_grad = this._gather_flat_grad();
    this._set_param(x);
    return [loss, flat_grad];
  }

  /**
   * Performs a single optimization step: up to `max_iter` L-BFGS iterations.
   *
   * Args:
   *   closure: re-evaluates the model and returns the loss (required).
   * Returns the loss of the closure's first evaluation.
   */
  step(closure?: Closure): Tensor | number | undefined {
    if (closure === undefined) throw new TorchTypeError("step() missing 1 required positional argument: 'closure'");
    if (typeof closure !== 'function') throw argumentError('LBFGS.step', 'closure', 'a function', closure);
    if (this.param_groups.length !== 1) throw new TorchError('LBFGS supports exactly one parameter group');
    const evaluate = () => enable_grad(closure);

    const group = this.param_groups[0];
    const lr = group.lr;
    const max_iter = group.max_iter as number;
    const max_eval = group.max_eval as number;
    const tolerance_grad = group.tolerance_grad as number;
    const tolerance_change = group.tolerance_change as number;
    const line_search_fn = group.line_search_fn as string | null;
    const history_size = group.history_size as number;

    // NOTE: LBFGS has only global state, but we register it as state for the first param, because
    // this helps with casting in load_state_dict.
    const state = this._stateOf(this._params[0]) as LBFGSState;
    if (state.func_evals === undefined) state.func_evals = 0;
    if (state.n_iter === undefined) state.n_iter = 0;

    const before = new Set<Tensor>();
    for (const v of Object.values(state)) collectTensors(v, before);

    const result = tidy(() =>
      no_grad(() => {
        // Evaluate the initial f(x) and df/dx.
        const orig_loss = evaluate();
        let loss = toFloat(orig_loss);
        let current_evals = 1;
        state.func_evals += 1;

        let flat_grad = this._gather_flat_grad();
        let opt_cond = truth(flat_grad.abs().max().le(tolerance_grad));
        // Optimal condition.
        if (opt_cond) return orig_loss;

        // Tensors cached in state (for tracing).
        let d = state.d ?? null;
        let t: Num | null = state.t ?? null;
        let old_dirs = state.old_dirs ?? [];
        let old_stps = state.old_stps ?? [];
        let ro = state.ro ?? [];
        let H_diag: Num | null = state.H_diag ?? null;
        let prev_flat_grad = state.prev_flat_grad ?? null;
        let prev_loss: number | null = state.prev_loss ?? null;

        let n_iter = 0;
        // Optimize for a max of max_iter iterations.
        while (n_iter < max_iter) {
          n_iter += 1;
          state.n_iter += 1;

          // Compute the gradient descent direction.
          if (state.n_iter === 1) {
            d = flat_grad.neg();
            old_dirs = [];
            old_stps = [];
            ro = [];
            H_diag = 1;
          } else {
            // Do the L-BFGS update (update memory).
            const y = flat_grad.sub(prev_flat_grad!);
            const s = tMul(d!, t!);
            const ys = y.dot(s); // y*s
            if (truth(ys.gt(1e-10))) {
              // Update memory.
              if (old_dirs.length === history_size) {
                // Shift history by one (limited memory).
                old_dirs.shift();
                old_stps.shift();
                ro.shift();
              }
              // Store new direction/step.
              old_dirs.push(y);
              old_stps.push(s);
              ro.push(div(1, ys) as Tensor);
              // Update the scale of the initial Hessian approximation.
              H_diag = ys.div(y.dot(y)); // (y*y)
            }

            // Compute the approximate (L-BFGS) inverse Hessian multiplied by the gradient.
            const num_old = old_dirs.length;
            if (!('al' in state)) state.al = new Array<Tensor | null>(history_size).fill(null);
            const al = state.al!;

            // Iteration in L-BFGS loop collapsed to use just one buffer.
            const q = flat_grad.neg();
            for (let i = num_old - 1; i >= 0; i--) {
              al[i] = old_stps[i].dot(q).mul(ro[i]);
              q.add_(old_dirs[i], { alpha: al[i]!.neg().item() });
            }

            // Multiply by the initial Hessian; r/d is the final direction.
            const r = tMul(q, H_diag!);
            d = r;
            for (let i = 0; i < num_old; i++) {
              const be_i = old_dirs[i].dot(r).mul(ro[i]);
              r.add_(old_stps[i], { alpha: al[i]!.sub(be_i).item() });
            }
          }

          if (prev_flat_grad === null) prev_flat_grad = flat_grad.clone({ memory_format: torch.contiguous_format });
          else prev_flat_grad.copy_(flat_grad);
          prev_loss = loss;

          // Compute the step length: reset the initial guess for the step size.
          if (state.n_iter === 1) t = mul(pyMin(1, div(1, flat_grad.abs().sum())), lr);
          else t = lr;

          // Directional derivative.
          const gtd = flat_grad.dot(d!); // g * d
          // Directional derivative is below tolerance.
          if (gt(gtd, -tolerance_change)) break;

          // Optional line search: user function.
          let ls_func_evals = 0;
          if (line_search_fn !== null) {
            // Perform the line search, using the user function.
            if (line_search_fn !== 'strong_wolfe') throw new TorchError("only 'strong_wolfe' is supported");
            const x_init = this._clone_param();
            const obj_func: ObjFunc = (x, tt, dd) => this._directional_evaluate(evaluate, x, tt, dd);
            [loss, flat_grad, t, ls_func_evals] = _strong_wolfe(obj_func, x_init, t, d!, loss, flat_grad, gtd);
            this._add_grad(t, d!);
            opt_cond = truth(flat_grad.abs().max().le(tolerance_grad));
          } else {
            // No line search: simply move with a fixed step.
            this._add_grad(t, d!);
            if (n_iter !== max_iter) {
              // Re-evaluate the function only if not in the last iteration; in a stochastic
              // setting there is no use re-evaluating that function here.
              loss = toFloat(evaluate());
              flat_grad = this._gather_flat_grad();
              opt_cond = truth(flat_grad.abs().max().le(tolerance_grad));
              ls_func_evals = 1;
            }
          }
          // Update the function evaluation counts.
          current_evals += ls_func_evals;
          state.func_evals += ls_func_evals;

          // Check conditions.
          if (n_iter === max_iter) break;
          if (current_evals >= max_eval) break;
          // Optimal condition.
          if (opt_cond) break;
          // Lack of progress.
          if (truth(tMul(d!, t!).abs().max().le(tolerance_change))) break;
          if (Math.abs(loss - prev_loss) < tolerance_change) break;
        }

        state.d = d;
        state.t = t;
        state.old_dirs = old_dirs;
        state.old_stps = old_stps;
        state.ro = ro;
        state.H_diag = H_diag;
        state.prev_flat_grad = prev_flat_grad;
        state.prev_loss = prev_loss;

        // The history outlives this step's tidy().
        const after = new Set<Tensor>();
        for (const v of Object.values(state)) collectTensors(v, after);
        for (const tensor of after) keep(tensor);
        return orig_loss;
      }),
    );

    const after = new Set<Tensor>();
    for (const v of Object.values(state)) collectTensors(v, after);
    for (const tensor of before) if (!after.has(tensor)) this._release(tensor);
    return result;
  }
}
