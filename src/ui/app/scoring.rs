//! Carrying out the Suspects panel's commands: a scoring job started from the Score form (one at
//! a time, on its own connection, with progress, the device in its line and Cancel; the model
//! loaded on the job's thread, what went wrong said in the panel in words), and the step to the
//! next or previous suspect.

use super::VerdictApp;
use crate::score::ScoreError;
use crate::ui::commands::ScoreRequest;
use crate::ui::commands::scoring::is_score_job;
use crate::ui::jobs_panel::JobOutcome;

impl VerdictApp {
    /// Starts `request` as a job; says in the panel why it did not start.
    pub(super) fn start_score(&mut self, request: &ScoreRequest) {
        let Some(p) = &mut self.project else { return };
        let load = match request.load_options() {
            Ok(l) => l,
            Err(e) => {
                p.suspects.say(&e, true);
                return;
            }
        };
        if let Some(j) = self.jobs.running.iter().find(|j| is_score_job(&j.title)) {
            p.suspects.say(&format!("{} is running: wait for it to end, or cancel it (Jobs)", j.title), true);
            return;
        }
        let title = request.title(None);
        let job = title.clone();
        let request = request.clone();
        let note = p.suspects.note_handle();
        p.suspects.say(&format!("{title}: loading the model…"), false);
        p.suspects.form = None;
        self.jobs.spawn_on(&title, p.path.clone(), move |store, progress| {
            let say = |text: String, error: bool| {
                if let Ok(mut n) = note.lock() {
                    *n = Some((text, error));
                }
            };
            progress.phase("loading the model", "samples", None, 0);
            let done = crate::score::load(&load).and_then(|(mut scorer, folder)| {
                say(format!("{job}: scoring on {}…", scorer.device()), false);
                let options = request.score_options(Some(folder.dir.display().to_string()));
                crate::score::run(store, scorer.as_mut(), &options, progress)
            });
            match done {
                Ok(r) => {
                    let line = r.summary();
                    say(line.clone(), false);
                    JobOutcome::Done(line)
                }
                Err(ScoreError::Cancelled) => {
                    let line = "Cancelled: the scores written so far are kept; Score… again resumes.".to_owned();
                    say(line.clone(), false);
                    JobOutcome::Cancelled(line)
                }
                Err(e) => {
                    say(format!("Not scored: {e}"), true);
                    JobOutcome::Failed { summary: "not scored".into(), detail: e.to_string() }
                }
            }
        });
    }

    /// Shows the next (`forward`) or previous suspect.
    pub(super) fn suspect_step(&mut self, forward: bool) {
        let Some(p) = &mut self.project else { return };
        let ctx = self.ctx.clone();
        for c in p.suspects.step(&ctx, forward) {
            self.run_command(c);
        }
    }
}
