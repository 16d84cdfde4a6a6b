"""``plan(model, loss_fn, optimizer)``: look at a model once, then train it fast.

Define-then-run (``backprop-calculus-curriculum.md`` §11): the model's layers are known
before the first batch, so a planned step can choose a kernel per layer, reuse every
intermediate array, write gradients straight into place, skip ∂L/∂x of the data, lay the
parameters side by side and update them with a few numpy calls. It computes what the
teaching loop computes::

    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    optimizer.step()

and leaves the model, its buffers and ``optimizer.state_dict()`` where that loop would.
"""

from __future__ import annotations

import numpy as np

from ..nn.containers import Sequential
from ..nn.losses import SoftmaxCrossEntropy
from ..nn.module import Module
from ..optim import SGD
from ..optim.clip import clip_grad_norm
from . import updates
from .kernels import CrossEntropyKernel, OwnMethods, kernel_for
from .kernels.base import wired
from .layout import Layout
from .workspace import Workspace


class NonFiniteLoss(FloatingPointError):
    """The loss of a step was NaN or inf; nothing was updated. ``loss`` is its value,
    ``output`` the model output that gave it."""

    def __init__(self, loss: float, output: np.ndarray):
        where = ""
        if not np.isfinite(output).all():
            first = tuple(int(i) for i in np.argwhere(~np.isfinite(output))[0])
            where = f"; the model's output is not finite (first at index {first}: {output[first]})"
        super().__init__(f"planned step: the loss is {loss}{where}; nothing was updated")
        self.loss, self.output = loss, output


def plan(model, loss_fn, optimizer, *, clip_norm: float | None = None, fold_lr: bool = True) -> PlannedStep:
    """A training step for ``model``: ``step(x, y) -> loss`` and ``step.forward(x)``.

    Args:
        model: a ``Module``; a plain ``Sequential`` (nested ones too) is planned layer by
            layer, anything else runs as one piece through its own methods.
        loss_fn: the loss; ``SoftmaxCrossEntropy`` on class ids is fused, others run their
            own methods.
        optimizer: ``SGD`` or ``Adam`` are fused over all parameters; any other optimizer
            (or a subclass) has its own ``step()`` called.
        clip_norm: clip the global gradient norm before the update, as
            ``minidl.optim.clip_grad_norm``.
        fold_lr: with ``SGD`` (no weight decay, not Nesterov, no clipping) and layers whose
            kernels are linear in their dout, scale ∂L/∂Z by the learning rate so that every
            gradient arrives already multiplied by it and the update needs one pass over the
            parameters fewer (``updates.sgd_folded``). The parameters, buffers and
            ``optimizer.state_dict()`` stay where the teaching loop leaves them; only the
            ``.grad`` arrays then hold lr·∂L/∂p after a step. ``False`` keeps ∂L/∂p there.

    What a plan hands back to the teaching path: a step on a model with forward hooks
    (diagnostics) runs the plain loop for that step; a ``Sequential`` with
    ``recompute_segments`` runs as one piece. Float16 loss scaling is the Trainer's
    teaching path. Parameters become views into shared arrays (values unchanged): an
    array fetched before ``plan`` (``w = layer.W``) is no longer the parameter's own.

    Example:
        >>> step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
        >>> loss = step(x, y)                # forward, loss, backward, update
        >>> logits = step.forward(x_test)    # evaluation mode, an array the caller owns
    """
    return PlannedStep(model, loss_fn, optimizer, clip_norm, fold_lr)


def plain_step(model, loss_fn, optimizer, x, y, clip_norm=None) -> tuple[float, np.ndarray]:
    """The teaching loop's step, the reference a plan computes: zero the gradients, forward,
    loss, backward, (clip,) update. Returns the loss and the model's output; a non-finite
    loss raises ``NonFiniteLoss`` before anything is updated."""
    optimizer.zero_grad()
    model.zero_grad()
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite loss is reported instead
        out = model(x)
    loss = loss_fn(out, y) if np.isfinite(out).all() else float("nan")
    if not np.isfinite(loss):
        raise NonFiniteLoss(loss, out)
    model.backward(loss_fn.backward())
    if clip_norm is not None:
        clip_grad_norm(optimizer.params, clip_norm)
    optimizer.step()
    return loss, out


def leaf_layers(model) -> list:
    """The layers a plan runs in order: a plain Sequential opened up, recursively."""
    if type(model) is Sequential and not model.recompute_segments:
        return [leaf for layer in model.layers for leaf in leaf_layers(layer)]
    return [model]


class PlannedStep:
    """What ``plan`` returns. ``output`` is the last step's model output (an array the next
    step overwrites; after a ``NonFiniteLoss``, the output that produced it)."""

    def __init__(self, model, loss_fn, optimizer, clip_norm=None, fold_lr=True):
        self.model, self.loss_fn, self.optimizer, self.clip_norm = model, loss_fn, optimizer, clip_norm
        self.loss_kernel = CrossEntropyKernel(loss_fn) if type(loss_fn) is SoftmaxCrossEntropy else None
        self.fold_lr = fold_lr
        self.folded_lr = None  # the learning rate SGD's momentum is held multiplied by (None: as v)
        self.output = None
        self.workspace_rows = 0  # the largest training batch so far (forward's default slice)
        self._build()

    def _build(self) -> None:
        """Kernels, parameter layout and workspace for the model as it is now."""
        model, optimizer = self.model, self.optimizer
        self.generation, self.params = Module.generation, optimizer.params
        self.hooked, self.signature, self.listed = self._survey()
        self.kernels = wired([kernel_for(layer) for layer in leaf_layers(model)])
        # Backward stops at the first layer with parameters: what comes before it (a Reshape
        # of the data, say) has nothing to learn, so no ∂L/∂x is computed for it.
        self.first_learner = next((i for i, k in enumerate(self.kernels) if k.layer.parameters()), 0)
        # The last kernel may write over its dout when the fused loss made it (a user's loss
        # might keep the array it returns).
        if self.kernels:
            self.kernels[-1].dout_is_scratch = self.loss_kernel is not None
        self.update = updates.planned_update(optimizer)
        # Parameters over one array (Parameter(other.W)) stay where they are: laid out apart,
        # they would come untied. Such an optimizer steps by its own step().
        self.layout = None if _aliased(optimizer.params) else Layout(optimizer)
        if self.layout is None:
            self.update = None
        written = {id(p) for k in self.kernels if k.overwrites_grads for p in k.layer.parameters()}
        everyone = list(dict.fromkeys(model.parameters() + list(optimizer.params)))
        self.to_zero = [p for p in everyone if id(p) not in written]  # the kernels add into these
        self.workspace = Workspace()
        # Backward is linear in ∂L/∂Z, so lr can ride along from the loss when every kernel it
        # runs through says its backward is (a layer's own backward might add a term of its own,
        # as weight decay); those before the first learner never see it.
        self.can_fold = (self.fold_lr and type(optimizer) is SGD and self.update is not None
                         and self.loss_kernel is not None and self.clip_norm is None
                         and all(kernel.linear_in_dout for kernel in self.kernels[self.first_learner:]))

    def _survey(self) -> tuple[bool, tuple, list]:
        """One walk over the model: whether any module has a forward hook; what the plan is
        made for — the modules in order and every parameter object (a layer replaced or
        inserted, or a Parameter swapped, after planning makes the step re-plan); and the
        containers that list their children themselves (Sequential), with those children."""
        modules, pending = [], [self.model]
        while pending:  # a plain loop, not a generator walk: it runs whenever the model may have changed
            module = pending.pop()
            modules.append(module)
            pending.extend(child for _, child in module.children())
        hooked = any(m.__dict__.get("_forward_hooks") for m in modules)
        params = (id(p) for m in modules for p in m.__dict__.get("_params", {}).values())
        listed = [(m, list(_children_of(m))) for m in modules if type(m).children is not Module.children]
        return hooked, (tuple(map(id, modules)), tuple(params), tuple(map(id, self.optimizer.params))), listed

    def _follow_the_model(self) -> None:
        """Re-plan if the model or the optimizer's parameters changed since the plan was made.
        Cheap when nothing did: one counter (``Module.generation``: Parameters and children
        set, hooks added or removed), the optimizer's parameter tuple, and each listing
        container's children; only then the whole walk."""
        if Module.generation == self.generation and self.optimizer.params is self.params and \
                all(_children_of(m) == kids for m, kids in self.listed):
            return
        hooked, signature, listed = self._survey()
        if signature != self.signature:
            self._build()
        self.generation, self.params = Module.generation, self.optimizer.params
        self.hooked, self.listed = hooked, listed

    # ------------------------------------------------------------------ training
    def __call__(self, x, y) -> float:
        """One training step on the batch (x, y); returns the loss (a Python float)."""
        self._follow_the_model()
        if self.hooked:
            return self._teaching_step(x, y)
        groups = self.layout.current() if self.layout is not None else []
        for p in self.to_zero:
            p.grad[...] = 0
        ws = self.workspace
        self.workspace_rows = max(self.workspace_rows, len(x) if np.ndim(x) else 0)
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite loss is reported instead
            out = self.output = self._forward(x)
            if self.loss_kernel is None:
                loss = self.loss_fn(out, y) if np.isfinite(out).all() else float("nan")
            else:
                loss = self.loss_kernel.forward(out, y, ws)
        if not np.isfinite(loss):
            raise NonFiniteLoss(loss, out)
        fold = self.can_fold and self._fold_holds()
        if self.loss_kernel is None:
            dout = self.loss_fn.backward()
        else:  # ∂L/∂Z, times lr when folded: every gradient below then carries it
            dout = self.loss_kernel.backward(ws, self.optimizer.lr if fold else 1.0)
        first = self.first_learner
        for i in range(len(self.kernels) - 1, first - 1, -1):
            dout = self.kernels[i].backward(dout, ws, need_dx=i > first)
        self._update(groups, fold)
        return loss

    def _forward(self, x):
        ws = self.workspace
        for kernel in self.kernels:
            x = kernel.forward(x, ws)
        return x

    def _fold_holds(self) -> bool:
        """This step's hyper-parameters (a schedule or the user may have changed them) and loss
        allow the fold: lr > 0 (u = lr·v must keep v), no weight decay, not Nesterov, the fused
        loss (not its own methods)."""
        hyper = self.optimizer.hyper
        return hyper["lr"] > 0 and not hyper["weight_decay"] and not hyper["nesterov"] \
            and not self.loss_kernel.own_methods

    def _update(self, groups, fold: bool) -> None:
        opt = self.optimizer
        if self.clip_norm is not None:
            clip_grad_norm(opt.params, self.clip_norm)
        if self.update is None:
            opt.step()
            return
        opt.steps += 1  # counted first: Adam's bias correction uses the step being taken
        if fold:
            lr = opt.lr
            if self.folded_lr is None:
                opt.settle()  # the state as v, whoever held it otherwise (another plan of opt)
            rescale = lr if self.folded_lr is None else lr / self.folded_lr  # PyTorch's v under a new lr
            for group in groups:
                updates.sgd_folded(opt, group, rescale)
                updates.flush_subnormals(opt, group)
            if self.folded_lr is None:
                opt.settle_later(self._unfold)  # whoever reads opt.state next gets v back
            self.folded_lr = lr
            return
        if self.folded_lr is not None:
            opt.settle()  # v again, for the rule that reads it
        for group in groups:
            self.update(opt, group)
            updates.flush_subnormals(opt, group)

    def _unfold(self) -> None:
        """The optimizer's ``settle``: the momentum held as u = lr·v back to v."""
        updates.unfold_momentum(self.optimizer, self.folded_lr)
        self.folded_lr = None

    def _teaching_step(self, x, y) -> float:
        """The plain loop (a model with forward hooks: they must see every layer's call)."""
        try:
            loss, self.output = plain_step(self.model, self.loss_fn, self.optimizer, x, y, self.clip_norm)
        except NonFiniteLoss as err:
            self.output = err.output
            raise
        return loss

    # ----------------------------------------------------------------- inference
    def forward(self, x, batch_size: int | None = None) -> np.ndarray:
        """The model's output on ``x`` in evaluation mode (modes restored after), as a new array.

        ``batch_size`` rows at a time (default: the largest training batch so far, whose
        workspace arrays are then reused, else all at once); evaluation treats each row on
        its own, so the slices change nothing but the memory held. A model with forward
        hooks runs its own forward, so that the hooks see it.
        """
        self._follow_the_model()
        run = self.model if self.hooked else self._forward
        x = np.asarray(x)  # the same array when it is one
        rows = len(x) if x.ndim else 0
        batch_size = batch_size or self.workspace_rows or rows or 1
        modes = [(m, m.training) for _, m in self.model.named_modules()]
        self.model.eval()
        try:
            with np.errstate(over="ignore", invalid="ignore"):  # as the planned step: no warnings
                if rows <= batch_size:
                    return run(x).copy()
                first = run(x[:batch_size])
                out = np.empty((rows,) + first.shape[1:], first.dtype)
                out[:batch_size] = first
                for start in range(batch_size, rows, batch_size):
                    out[start:start + batch_size] = run(x[start:start + batch_size])
                return out
        finally:
            for m, mode in modes:
                m.__dict__["_training"] = mode

    def __repr__(self) -> str:
        own = sum(isinstance(k, OwnMethods) for k in self.kernels)
        return (f"PlannedStep({len(self.kernels)} layers, {own} on their own methods, "
                f"{type(self.optimizer).__name__}, workspace {self.workspace.nbytes() / 2**20:.1f} MiB)")


def _children_of(module) -> list:
    """A module's children as a list (a Sequential's own list, read as it is)."""
    return module.layers if type(module) is Sequential else [child for _, child in module.children()]


def _aliased(params) -> bool:
    """Whether two of ``params`` hold their values in overlapping memory."""
    arrays = [p.data for p in params]
    return any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1:])
