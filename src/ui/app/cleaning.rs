//! Carrying out the Cleaning panel's commands: a pass started as a job (one at a time), a
//! decision on one duplicate group (the group's other samples excluded as duplicates, one
//! operation through the write path; or the group kept whole, a mark that excludes nothing), a
//! confirmed decision over a whole queue (a job from 2,000 samples, as bulk actions are), the keys
//! of an open group, the confirmation dialog, and showing a sample the panel names.

use super::{Dialog, VerdictApp, jobs};
use crate::clean::CleanError;
use crate::model::SampleId;
use crate::store::{Actor, CurationAction};
use crate::ui::bulk;
use crate::ui::commands::{BulkRequest, CleanKey, CleanPass, Command, GroupDecision, Keep, QueueDecision};
use crate::ui::settings::RightPanel;

impl VerdictApp {
    /// Carries out one of the Cleaning panel's commands.
    pub(super) fn run_clean_command(&mut self, command: Command) {
        match command {
            Command::RunClean(ref pass) => self.clean_pass(pass),
            Command::DecideGroup(ref d) => {
                let d = (**d).clone();
                self.decide_group(command, &d);
            }
            Command::ReopenGroup(id) => self.reopen_group(id),
            Command::DecideQueue(ref q) => {
                let q = (**q).clone();
                self.decide_queue(command, &q);
            }
            Command::Clean(key) => self.clean_key(key),
            Command::Confirm(c) => self.dialog = Dialog::Confirm(c),
            Command::ShowSample(id, ref among) => self.show_sample(id, among),
            _ => {}
        }
    }

    fn clean_pass(&mut self, pass: &CleanPass) {
        let Some(p) = &mut self.project else { return };
        if let CleanPass::Forget { reference, name } = pass {
            // Two small writes on the UI's connection.
            let done =
                p.store.set_reference(*reference, false).and_then(|()| p.store.replace_contamination(*reference, &[]));
            match done {
                Ok(()) => {
                    p.cleaning.invalidate();
                    self.jobs.notify(&format!(
                        "{name} is a reference set no more: it is exported again, its hits are dropped"
                    ));
                }
                Err(e) => self.write_failed(&e),
            }
            return;
        }
        // Two passes at once would wait on each other's writes.
        if let Some(j) = self.jobs.running.iter().find(|j| jobs::is_clean_pass(&j.title)) {
            let running = j.title.clone();
            self.jobs.notify(&format!("{running} is running: wait for it to end, or cancel it (Jobs)"));
            return;
        }
        jobs::clean_pass(&mut self.jobs, p.path.clone(), pass.clone());
    }

    fn decide_group(&mut self, command: Command, d: &GroupDecision) {
        let Some(curator) = self.curator.clone() else {
            self.ask_curator(command);
            return;
        };
        let Some(p) = &mut self.project else { return };
        let keep = match d.keep {
            Keep::One(keep) => keep,
            Keep::All => {
                match p.store.review_dup_group(d.group, &curator) {
                    Ok(true) => {
                        p.cleaning.kept_whole(d.group);
                        self.jobs.notify(&format!("Group {}: kept whole, nothing excluded (U takes it back)", d.group));
                    }
                    Ok(false) => {
                        p.cleaning.invalidate();
                        self.jobs.notify(&format!("Group {} is gone: a new pass replaced the groups", d.group));
                    }
                    Err(e) => {
                        p.cleaning.decision_failed();
                        self.write_failed(&e);
                    }
                }
                return;
            }
        };
        let members = match p.store.dup_group(d.group) {
            Ok(Some(g)) => g.members,
            Ok(None) => {
                p.cleaning.invalidate();
                self.jobs.notify(&format!("Group {} is gone: a new pass replaced the groups", d.group));
                return;
            }
            Err(e) => {
                p.cleaning.decision_failed();
                self.write_failed(&e);
                return;
            }
        };
        let mut ids: Vec<SampleId> = members.iter().map(|m| m.sample).filter(|s| *s != keep).collect();
        ids.sort_unstable();
        ids.dedup();
        let query = format!("dup group {} ({}): keep #{keep}", d.group, d.kind);
        let actor = Actor::new(curator.as_str(), "app");
        let action = CurationAction::Exclude("duplicate".into());
        if ids.len() >= bulk::JOB_THRESHOLD {
            p.cleaning.last_kept_whole = None;
            jobs::bulk(&mut self.jobs, p.path.clone(), actor, BulkRequest { ids, action, query });
            return;
        }
        match p.store.curate(&actor, &ids, &action, Some(&query), &mut crate::jobs::Progress::silent()) {
            Ok(done) => {
                p.apply_changes(&done.changes, Some(&curator));
                // Read again even when nothing changed (all excluded already): the queue moves on.
                p.cleaning.invalidate();
                self.jobs.notify(&format!("Group {}: kept #{keep}; {}", d.group, bulk::describe(&done)));
            }
            Err(e) => {
                p.cleaning.decision_failed();
                self.write_failed(&e);
            }
        }
    }

    fn reopen_group(&mut self, id: i64) {
        let Some(p) = &mut self.project else { return };
        match p.store.reopen_dup_group(id) {
            Ok(reopened) => {
                p.cleaning.invalidate();
                if p.cleaning.last_kept_whole == Some(id) {
                    p.cleaning.last_kept_whole = None;
                }
                self.jobs.notify(&if reopened {
                    format!("Group {id} is open again (\"keep all\" taken back)")
                } else {
                    format!("Group {id} was not kept whole: nothing to take back")
                });
            }
            Err(e) => self.write_failed(&e),
        }
    }

    fn decide_queue(&mut self, command: Command, q: &QueueDecision) {
        let Some(curator) = self.curator.clone() else {
            self.ask_curator(command);
            return;
        };
        let Some(p) = &mut self.project else { return };
        let actor = Actor::new(curator.as_str(), "app");
        if q.samples >= bulk::JOB_THRESHOLD {
            p.cleaning.last_kept_whole = None;
            jobs::decide_queue(&mut self.jobs, p.path.clone(), actor, q.decision.clone());
            return;
        }
        match q.decision.apply(&mut p.store, &actor, &mut crate::jobs::Progress::silent()) {
            Ok((_, done)) => {
                p.apply_changes(&done.changes, Some(&curator));
                p.cleaning.invalidate();
                self.jobs.notify(&format!("{}: {}", jobs::decision_title(&q.decision), bulk::describe(&done)));
            }
            Err(CleanError::Store(e)) => self.write_failed(&e),
            Err(e) => {
                self.jobs.notify_error(&format!("{}: not done", jobs::decision_title(&q.decision)), &e.to_string());
            }
        }
    }

    /// Says why a write on the UI's connection did not happen.
    fn write_failed(&mut self, e: &crate::store::StoreError) {
        if e.is_busy() {
            self.jobs.notify("A job is writing to the project: nothing changed; try again when it ends");
        } else {
            self.jobs.notify_error("Not done", &e.to_string());
        }
    }

    fn clean_key(&mut self, key: CleanKey) {
        let open = self.settings.right_panel == RightPanel::Cleaning;
        let Some(p) = &mut self.project else { return };
        if !open || !p.cleaning.takes(key) {
            if matches!(key, CleanKey::KeepSelected | CleanKey::KeepByPolicy | CleanKey::KeepAll) {
                self.jobs.notify("O, P and L decide on a duplicate group: open one in the Cleaning panel (C) first");
            }
            return;
        }
        let ctx = self.ctx.clone();
        for c in p.cleaning.key(&ctx, key) {
            self.run_command(c);
        }
    }

    /// Selects `id` in the list; when the filter does not list it, filters the list to `among`
    /// (its group, its hit) and selects it there.
    fn show_sample(&mut self, id: SampleId, among: &[SampleId]) {
        let Some(p) = &mut self.project else { return };
        if let Some(i) = p.list.ids.iter().position(|x| *x == id) {
            p.list.select(i);
            p.sync_selection();
            return;
        }
        if among.is_empty() {
            return;
        }
        let filter: Vec<String> = among.iter().map(|s| format!("id:{s}")).collect();
        p.query.text = filter.join(" or ");
        p.select_when_listed(Some(id));
        p.run_query();
        self.jobs.notify(&format!("#{id} was not in the list: the filter now lists its group (clear it to see all)"));
    }
}
