//! The app's frame and views: the keys of the frame, the menus, the status bar, the query bar,
//! the workspace (a right panel, the list, the sample view), the welcome page and the cheat
//! sheet. Drawing only reads state and collects [`Command`]s; they run after the frame
//! ([`VerdictApp::run_command`]).

use super::{CENTRAL_MIN, Dialog, LIST_MIN, SIDE_MIN, VerdictApp, kept_filter};
use crate::ui::app::project::Project;
use crate::ui::bulk;
use crate::ui::commands::{self, Command, PathFor};
use crate::ui::sample_view::sample_ui;
use crate::ui::settings::RightPanel;
use egui::RichText;

impl VerdictApp {
    /// Draws the app and runs the commands the frame produced.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // While a dialog is open, keys belong to it (the flag dialog's 1-6, Enter, Esc); while
        // the window waits to close, to the question.
        if matches!(self.dialog, Dialog::None) && !self.is_closing() {
            let commands = commands::from_keys(&ctx);
            // The filter takes the keyboard in this frame, before it is drawn, so that what is
            // typed right after `/` lands in it.
            for command in commands {
                match command {
                    Command::FocusQuery => self.focus_query = true,
                    other => self.pending.push(other),
                }
            }
            // Esc unmarks the list's marked rows, unless the cheat sheet takes it to close.
            if !self.cheat_sheet
                && !ctx.egui_wants_keyboard_input()
                && self.project.as_ref().is_some_and(|p| p.list.marked_count() > 0)
                && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
            {
                self.pending.push(Command::ClearMarks);
            }
        }
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        if self.project.is_some() {
            egui::Panel::top("query").show(ui, |ui| self.query_ui(ui));
            self.workspace_ui(ui);
        } else {
            egui::CentralPanel::default().show(ui, |ui| self.welcome_ui(ui));
        }
        self.dialog_ui(&ctx);
        self.cheat_sheet_ui(&ctx);
        self.closing_ui(&ctx);
        self.jobs.toasts_ui(&ctx);
        for c in std::mem::take(&mut self.pending) {
            self.run_command(c);
        }
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open project…").clicked() {
                    self.send(Command::OpenProject(None));
                }
                if ui.button("New project…").clicked() {
                    self.send(Command::NewProject);
                }
                if ui.add_enabled(self.project.is_some(), egui::Button::new("Import dataset…")).clicked() {
                    self.send(Command::Import(None));
                }
                let export =
                    egui::Button::new("Export…").shortcut_text(ui.ctx().format_shortcut(&commands::EXPORT_SHORTCUT));
                if ui.add_enabled(self.project.is_some(), export).clicked() {
                    self.send(Command::Export);
                }
                if ui.button("Change curator…").clicked() {
                    self.send(Command::ChangeCurator);
                }
                ui.separator();
                if ui.button("Open project by path…").clicked() {
                    self.send(Command::EnterPath(PathFor::Open));
                }
                if ui.add_enabled(self.project.is_some(), egui::Button::new("Import dataset by path…")).clicked() {
                    self.send(Command::EnterPath(PathFor::Import));
                }
                ui.separator();
                ui.menu_button("Recent projects", |ui| {
                    for p in self.settings.recent_projects.clone() {
                        if ui.button(p.display().to_string()).clicked() {
                            self.send(Command::OpenProject(Some(p)));
                        }
                    }
                });
            });
            ui.menu_button("View", |ui| {
                let mut stats = self.settings.right_panel == RightPanel::Stats;
                if ui.checkbox(&mut stats, "Statistics (G)").changed() {
                    self.send(Command::ToggleStats);
                }
                let mut history = self.settings.right_panel == RightPanel::History;
                if ui.checkbox(&mut history, "History of the sample (H)").changed() {
                    self.send(Command::ToggleHistory);
                }
                let mut datasets = self.settings.right_panel == RightPanel::Datasets;
                if ui.checkbox(&mut datasets, "Datasets (D)").changed() {
                    self.send(Command::ToggleDatasets);
                }
                let mut cleaning = self.settings.right_panel == RightPanel::Cleaning;
                if ui.checkbox(&mut cleaning, "Cleaning: duplicates, contamination, checks (C)").changed() {
                    self.send(Command::ToggleCleaning);
                }
                let mut suspects = self.settings.right_panel == RightPanel::Suspects;
                if ui.checkbox(&mut suspects, "Suspects: pairs a model disagrees with; Score… (V)").changed() {
                    self.send(Command::ToggleSuspects);
                }
                ui.checkbox(&mut self.settings.show_diff, "Word diff of the chosen and the rejected answer");
                if ui.button("Keyboard cheat sheet (?)").clicked() {
                    self.send(Command::ToggleCheatSheet);
                }
            });
            ui.menu_button("Jobs", |ui| self.jobs.jobs_ui(ui));
            if let Some(p) = &self.project {
                ui.separator();
                ui.weak(p.path.display().to_string());
            }
        });
    }

    fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match &self.curator {
                Some(c) if self.env.curator.as_ref() == Some(c) => ui
                    .label(format!("Curator: {c}"))
                    .on_hover_text("From $VERDICT_CURATOR; File > Change curator… to sign as another"),
                Some(c) => ui.label(format!("Curator: {c}")),
                None => ui.weak("Curator: not set (asked at the first label)"),
            };
            if let Some(p) = &self.project {
                ui.separator();
                match &p.undo_redo.0 {
                    _ if p.cleaning.last_kept_whole.is_some() => {
                        ui.label(format!("Undo: keep all of group {}", p.cleaning.last_kept_whole.unwrap_or_default()))
                    }
                    Some(op) => ui.label(format!("Undo: {} (#{})", op.action.replace('_', " "), op.id)),
                    None => ui.weak("Nothing to undo"),
                };
                if let Some(t) = p.query.last_elapsed {
                    ui.separator();
                    ui.weak(format!("list {:.0} ms", t.as_secs_f64() * 1000.0));
                }
                if let Some(t) = p.textures.last_latency {
                    ui.weak(format!("image {:.0} ms", t.as_secs_f64() * 1000.0));
                }
            }
            if !self.jobs.running.is_empty() {
                ui.separator();
                ui.spinner();
                ui.label(crate::model::words::plural(self.jobs.running.len() as u64, "job"));
            }
            if !self.deferred.is_empty() {
                ui.separator();
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "{} waiting for a job to finish writing",
                        crate::model::words::plural(self.deferred.len() as u64, "change")
                    ),
                );
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| ui.weak("? keys"));
        });
        if !self.jobs.running.is_empty() {
            self.jobs.jobs_ui(ui);
        }
    }

    fn query_ui(&mut self, ui: &mut egui::Ui) {
        let focus = std::mem::take(&mut self.focus_query);
        let Some(p) = &mut self.project else { return };
        let mut save = false;
        let mut apply: Option<String> = None;
        ui.horizontal(|ui| {
            let id = egui::Id::unique("query_bar");
            if focus {
                ui.memory_mut(|m| m.request_focus(id));
            }
            let edit = egui::TextEdit::singleline(&mut p.query.text)
                .hint_text("Filter: modality:image len_chosen>500 is:flagged \"red car\"   (/ to focus)")
                .desired_width(ui.available_width() - 260.0)
                .id(id);
            let response = ui.add(edit);
            if response.changed() {
                p.run_query();
            }
            if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                ui.memory_mut(|m| m.surrender_focus(response.id));
            }
            match (&p.query.error, &p.query.failure, p.query.count, p.query.partial) {
                (Some(_), _, _, _) => ui.colored_label(ui.visuals().error_fg_color, "invalid query"),
                (_, Some(_), _, _) => ui.colored_label(ui.visuals().error_fg_color, "query failed"),
                (_, _, Some(n), _) => ui.label(crate::model::words::count(n, "match", "matches")),
                (_, _, None, Some(first)) => ui.weak(format!("{first}+ matches, counting…")),
                _ => ui.weak("counting…"),
            };
            ui.menu_button("Filters", |ui| {
                for f in &self.settings.saved_filters {
                    if ui.button(format!("{}   {}", f.name, f.query)).clicked() {
                        apply = Some(f.query.clone());
                    }
                }
                ui.separator();
                if ui.button("Save current query…").clicked() {
                    save = true;
                }
            });
        });
        if let Some(e) = &p.query.error {
            let keeping = p.query.kept.kept().map(kept_filter::keeping_text).unwrap_or_default();
            ui.colored_label(ui.visuals().error_fg_color, format!("{e}{keeping}"));
        } else if let Some(f) = &p.query.failure {
            ui.colored_label(ui.visuals().error_fg_color, f);
        }
        if let Some(q) = apply {
            p.query.text = q;
            p.run_query();
        }
        if save {
            self.dialog = Dialog::SaveFilter { name: String::new() };
        }
    }

    fn workspace_ui(&mut self, ui: &mut egui::Ui) {
        let right = self.settings.right_panel;
        let Some(p) = &mut self.project else { return };
        let mut cmds = Vec::new();
        // The right panel first, then the list in what is left: each gives way so that the sample
        // view keeps its least width (at 1400 px with statistics the list's columns did not fit
        // beside them and squeezed the candidates to a letter a line).
        let room = ui.available_width();
        // Below the minimum window (a window manager that ignores it) the side panels shrink
        // further, and the sample view puts its candidates one above the other.
        let side_floor = SIDE_MIN.min(room * 0.25);
        let side_range = side_floor..=(room - LIST_MIN - CENTRAL_MIN).max(side_floor);
        let mut refresh_stats = false;
        let mut refresh_datasets = false;
        let right_width = match right {
            RightPanel::Stats => {
                let panel = egui::Panel::right("stats").resizable(true).default_size(420.0).size_range(side_range);
                panel.show(ui, |ui| refresh_stats = p.stats.ui(ui)).response.rect.width()
            }
            RightPanel::History => {
                let panel = egui::Panel::right("history").resizable(true).default_size(340.0).size_range(side_range);
                panel.show(ui, |ui| history_ui(ui, p)).response.rect.width()
            }
            RightPanel::Datasets => {
                let panel = egui::Panel::right("datasets").resizable(true).default_size(380.0).size_range(side_range);
                panel
                    .show(ui, |ui| {
                        let (more, refresh) = p.datasets.ui(ui);
                        cmds.extend(more);
                        refresh_datasets = refresh;
                    })
                    .response
                    .rect
                    .width()
            }
            RightPanel::Cleaning => {
                // Wide enough for two samples side by side where the window has room.
                let panel = egui::Panel::right("cleaning").resizable(true).default_size(560.0).size_range(side_range);
                panel.show(ui, |ui| cmds.extend(p.cleaning.ui(ui, &mut p.textures))).response.rect.width()
            }
            RightPanel::Suspects => {
                let panel = egui::Panel::right("suspects").resizable(true).default_size(460.0).size_range(side_range);
                let filter = p.query.text.clone();
                panel.show(ui, |ui| cmds.extend(p.suspects.ui(ui, &filter))).response.rect.width()
            }
            RightPanel::Hidden => 0.0,
        };
        if refresh_datasets {
            p.datasets.refresh(&p.path, {
                let ctx = self.ctx.clone();
                move || ctx.request_repaint()
            });
        }
        if refresh_stats {
            p.stats.refresh(&p.path, {
                let ctx = self.ctx.clone();
                move || ctx.request_repaint()
            });
        }
        // As wide as its columns when there is room; narrower, the list scrolls sideways.
        let list_floor = LIST_MIN.min(room * 0.3);
        let list_max = (room - right_width - CENTRAL_MIN).max(list_floor);
        let list_range = self.list_content_width.clamp(list_floor, list_max)..=list_max;
        let mut content_width = self.list_content_width;
        let list_panel = egui::Panel::left("list")
            .resizable(true)
            .default_size(self.settings.list_width)
            .size_range(list_range)
            .show(ui, |ui| {
                let marked = p.list.marked_count();
                if marked > 0 {
                    cmds.extend(bulk::bar_ui(ui, marked, p.list.all_marked()));
                }
                let scroll = egui::ScrollArea::horizontal().id_salt("list_sideways").show(ui, |ui| {
                    let (mut sort, mut desc) = (p.sort, p.descending);
                    cmds.extend(p.list.ui(ui, &p.store, &mut sort, &mut desc));
                    if (sort, desc) != (p.sort, p.descending) {
                        p.sort = sort;
                        p.descending = desc;
                        p.run_query();
                    }
                });
                content_width = scroll.content_size.x + ui.spacing().item_spacing.x * 2.0;
            });
        self.list_content_width = content_width;
        self.settings.list_width = list_panel.response.rect.width();
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("sample").auto_shrink([false, false]).show(ui, |ui| {
                if let Some(s) = &mut p.sample {
                    sample_ui(ui, s, &mut p.textures, self.settings.show_diff, &mut cmds);
                } else if let Some(e) = &p.sample_error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                } else if p.list.ids.is_empty() && !p.is_querying() {
                    ui.weak(kept_filter::empty_list_text(&p.query.text, p.query.kept.kept()));
                } else {
                    ui.spinner();
                }
            });
        });
        self.pending.extend(cmds);
    }

    fn welcome_ui(&mut self, ui: &mut egui::Ui) {
        ui.vertical_centered(|ui| {
            ui.add_space(60.0);
            ui.heading("Verdict");
            if let Some((path, _)) = &self.opening {
                ui.add_space(20.0);
                ui.spinner();
                ui.label(format!(
                    "Upgrading {} to this version of Verdict (once; large projects take a while)…",
                    path.display()
                ));
                return;
            }
            ui.label("Review and relabel multimodal preference data.");
            ui.add_space(20.0);
            if ui.button("Open project…").clicked() {
                self.send(Command::OpenProject(None));
            }
            if ui.button("New project…").clicked() {
                self.send(Command::NewProject);
            }
            if !self.settings.recent_projects.is_empty() {
                ui.add_space(16.0);
                ui.strong("Recent");
                for p in self.settings.recent_projects.clone() {
                    if ui.link(p.display().to_string()).clicked() {
                        self.send(Command::OpenProject(Some(p)));
                    }
                }
            }
        });
    }

    fn cheat_sheet_ui(&mut self, ctx: &egui::Context) {
        if !self.cheat_sheet {
            return;
        }
        // Esc closes it (unless a dialog above it takes Esc first).
        let mut open = !(matches!(self.dialog, Dialog::None)
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)));
        egui::Window::new("Keyboard").open(&mut open).collapsible(false).resizable(false).show(ctx, |ui| {
            commands::cheat_sheet_ui(ui);
            ui.weak("Ctrl-click or Shift-click rows to mark them for a bulk action (Esc unmarks).");
            ui.weak("Flag popup: 1-6 pick a reason. Keys are ignored while typing in a field. Esc closes this.");
        });
        self.cheat_sheet = open;
    }
}

fn history_ui(ui: &mut egui::Ui, p: &Project) {
    ui.heading("History");
    let Some(s) = &p.sample else {
        ui.weak("No sample selected.");
        return;
    };
    if s.audit.is_empty() {
        ui.weak("No curator has changed this sample.");
        return;
    }
    egui::ScrollArea::vertical().id_salt("history").show(ui, |ui| {
        for e in s.audit.iter().rev() {
            let op = e.op.map(|o| format!(" · #{o}")).unwrap_or_default();
            ui.label(RichText::new(format!("{} · {} · {}{op}", e.at, e.curator, e.action.replace('_', " "))).strong());
            for c in &e.changes {
                ui.label(c);
            }
            ui.separator();
        }
    });
}
