// A persistent pool for the kernels' parallel loops. Workers spin briefly after each job (decode issues
// hundreds of short parallel calls per token, with Java code in between) and then sleep, so an idle process
// costs nothing. The caller is thread 0 and does its share, then runs every share no worker has started yet, so a
// worker descheduled on a busy machine never stalls the pass; share t computes the same rows whoever runs it.
#pragma once

namespace sj {

using ParallelFn = void (*)(void* ctx, int thread, int n_threads);

// Runs fn(ctx, t, n) for t in [0, n) on up to n threads and returns when all are done; fn must not depend on
// which thread runs a share (thread_local scratch is fine: a thread runs its shares one after another). Calls
// from several threads at once are safe: a caller that finds the pool busy runs its whole job alone (fn(ctx, 0, 1)).
void parallel_run(int n_threads, ParallelFn fn, void* ctx);

// parallel(n, [&](int t, int nt) { ... }) — the same for a lambda.
template <class F>
void parallel(int n_threads, F&& body) {
  parallel_run(n_threads, [](void* ctx, int t, int nt) { (*static_cast<F*>(ctx))(t, nt); }, &body);
}

// Number of threads the kernels use (sj_set_threads), and the machine's hardware threads.
int configured_threads();
int hardware_threads();

}  // namespace sj
